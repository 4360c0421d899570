using Microsoft.AspNetCore.Diagnostics;

namespace Platform.ServiceDefaults;

/// <summary>
/// In Development the framework puts its developer exception page inside every other middleware, so it catches an
/// exception before <c>UseExceptionHandler</c> and the application's <see cref="IExceptionHandler"/>s (Redis down →
/// 503, say) never run: the same request would be a 503 in production and a 500 in development. This filter offers
/// the exception to those handlers first, so the status a client sees does not depend on the environment.
/// </summary>
internal sealed class ExceptionHandlersFirst(IEnumerable<IExceptionHandler> handlers) : IDeveloperPageExceptionFilter
{
    public async Task HandleExceptionAsync(ErrorContext errorContext, Func<ErrorContext, Task> next)
    {
        foreach (var handler in handlers)
        {
            if (await handler.TryHandleAsync(errorContext.HttpContext, errorContext.Exception, errorContext.HttpContext.RequestAborted).ConfigureAwait(false))
            {
                return;
            }
        }

        await next(errorContext).ConfigureAwait(false);
    }
}

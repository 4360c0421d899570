using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// When the AppHost stops, DCP stops every resource at once; a service that still talks to Redis or PostgreSQL while
/// they go down waits out its client timeouts before it exits. So the services (project resources) are stopped first,
/// with the dashboard's stop command, and the processes they depend on after them, as an orchestrator stops a
/// deployment before its databases.
/// </summary>
internal sealed class StopServicesFirst : IDistributedApplicationEventingSubscriber
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            eventing.Subscribe<BeforeStartEvent>((@event, startCancellation) =>
            {
                var services = @event.Services;
                var projects = @event.Model.Resources.OfType<ProjectResource>().ToList();
                services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() =>
                {
                    var commands = services.GetRequiredService<ResourceCommandService>();
                    using var limit = new CancellationTokenSource(Limit);
                    var stops = projects.Select(project => StopAsync(commands, project, limit.Token));
                    try
                    {
                        Task.WhenAll(stops).Wait(Limit);
                    }
                    catch (AggregateException)
                    {
                        // Whatever did not stop in time is stopped by DCP with everything else.
                    }
                });
                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }

    // By resource, not by name: a name finds one replica of a project that has several; the resource, all of them.
    private static async Task StopAsync(ResourceCommandService commands, IResource project, CancellationToken cancellationToken)
    {
        try
        {
            await commands.ExecuteCommandAsync(project, KnownResourceCommands.StopCommand, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

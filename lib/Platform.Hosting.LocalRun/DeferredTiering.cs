using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// A .NET process recompiles its hot methods with full optimisation (tier 1) on a background thread once its start
/// has been quiet for 100 ms. When every project starts at once on a small machine that quiet comes often, and the
/// recompiling is work the start waits for: on two cores that thread was a third of all the CPU the start used, and the
/// start was CPU-bound. Deferring it until the start is over (<c>DOTNET_TC_CallCountingDelayMs</c>) costs a few
/// seconds of unoptimised code after the start, which nothing measures in run mode. Published resources keep the
/// runtime's default; a project that sets the variable itself keeps its own value.
/// </summary>
internal sealed class DeferredTiering(TieringDelay delay) : IDistributedApplicationEventingSubscriber
{
    public const string Variable = "DOTNET_TC_CallCountingDelayMs";

    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            eventing.Subscribe<BeforeStartEvent>((@event, _) =>
            {
                var value = ((long)delay.Value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                foreach (var project in @event.Model.Resources.OfType<ProjectResource>())
                {
                    project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.TryAdd(Variable, value)));
                }

                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }
}

internal sealed record TieringDelay(TimeSpan Value);

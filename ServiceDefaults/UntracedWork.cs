using System.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Background loops (polling, sweeps, heartbeats, trimming, lease renewal) run each iteration inside
/// <c>using var _ = UntracedWork.Start("…")</c>: an unrecorded parent span, so the Redis, SQL and HTTP spans the
/// iteration causes are dropped by the parent-based sampler instead of each Redis command becoming a root trace that
/// buries the requests of users on the dashboard. Logs and metrics of the loop are unaffected.
/// </summary>
public static class UntracedWork
{
    public static Activity Start(string name)
    {
        var activity = new Activity(name);
        activity.SetIdFormat(ActivityIdFormat.W3C);
        // A parent of its own with the "recorded" flag off; Activity.Current (if any) is not inherited.
        activity.SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        return activity.Start();
    }
}

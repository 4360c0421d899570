using System.Text;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

internal sealed partial class Orchestrator
{
    private async Task PrintSummaryWhenSettledAsync()
    {
        try
        {
            await Settled.WaitAsync(TimeSpan.FromMinutes(2), _lifetime.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await Console.Out.WriteAsync(Summary()).ConfigureAwait(false);
    }

    /// <summary>Every resource with its state and addresses, and the last lines of each failing one.</summary>
    internal string Summary(int lastLines = 10)
    {
        var snapshots = _notifications.GetSnapshots();
        var sb = new StringBuilder().AppendLine().AppendLine($"Resources (state folder: {_context.StateDirectory})");
        var width = Math.Max(12, snapshots.Max(s => s.Name.Length) + 2);
        foreach (var s in snapshots)
        {
            var urls = string.Join(' ', s.Urls.Select(u => u.Url));
            var health = s.HealthStatus?.ToString() ?? string.Empty;
            sb.Append("  ").Append(s.Name.PadRight(width)).Append(s.ResourceType.PadRight(18)).Append(s.State.ToString().PadRight(15))
                .Append(health.PadRight(11)).AppendLine(urls);
            if (s.Instances.Count > 1)
            {
                foreach (var i in s.Instances)
                {
                    sb.Append("    ").Append(i.Name.PadRight(width - 2)).Append(string.Empty.PadRight(18)).Append(i.State.ToString().PadRight(15))
                        .Append((i.HealthStatus?.ToString() ?? string.Empty).PadRight(11))
                        .Append(string.Join(' ', i.Urls.Select(u => u.Url))).AppendLine(i.HealthDescription is null ? string.Empty : $"  ({i.HealthDescription})");
                }
            }
        }

        foreach (var s in snapshots.Where(s => s.State is ResourceState.FailedToStart or ResourceState.Exited || (s.State == ResourceState.Running && s.HealthStatus != HealthStatus.Healthy)))
        {
            sb.AppendLine().Append(s.Name).Append(" is ").AppendLine(ResourceNotificationService.Describe(s) + (s.HealthStatus == HealthStatus.Unhealthy ? " (unhealthy)" : string.Empty));
            foreach (var line in _logs.GetLastLines(s.Name, lastLines))
            {
                sb.Append("  | ").AppendLine(line.ToString());
            }
        }

        var connectionStrings = _model.Resources.OfType<IResourceWithConnectionString>().Where(r => _notifications.TryGetSnapshot(r.Name, out var s) && s.IsHealthy).ToList();
        if (connectionStrings.Count > 0)
        {
            var secrets = _model.Resources.OfType<ParameterResource>().Where(p => p.Secret && p.HasValue).Select(p => p.Value).ToList();
            sb.AppendLine().AppendLine($"Connection strings (passwords are in {Path.Combine(_context.StateDirectory, "secrets.json")}):");
            foreach (var r in connectionStrings)
            {
                var value = r.ConnectionStringExpression.GetValueAsync().AsTask().GetAwaiter().GetResult() ?? string.Empty;
                value = secrets.Aggregate(value, (v, secret) => v.Replace(secret, "****", StringComparison.Ordinal));
                sb.Append("  ").Append(r.Name).Append(": ").AppendLine(value);
            }
        }

        return sb.ToString();
    }
}

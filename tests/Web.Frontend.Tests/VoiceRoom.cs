using System.Text.Json;
using Microsoft.Playwright;

namespace Web.Frontend.Tests;

/// <summary>One link of a page's voice mesh, as the page's debug hook reports it.</summary>
public sealed record VoiceLink(string PeerId, string UserId, string DisplayName, string State, bool Polite, double? ConnectedAtMs, int Repairs,
    int Negotiations, int Rollbacks);

/// <summary>A page's voice state: in the call or not, its links, and how many the room's voice list counts.</summary>
public sealed record VoiceState(bool VoiceActive, VoiceLink[] VoiceLinks, int InVoice);

/// <summary>Viewers (browser contexts, one user each) in one SyncWatch room, with what the voice tests do to them.</summary>
public sealed class VoiceRoom : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly List<(IBrowserContext Context, IPage Page, List<string> Errors, string UserId)> _viewers = [];

    private VoiceRoom() { }

    public IReadOnlyList<IPage> Pages => _viewers.Select(v => v.Page).ToList();

    /// <summary>The first viewer creates the room; the others join by its share link.</summary>
    public static async Task<VoiceRoom> OpenAsync(EndToEnd e2e, int viewers)
    {
        var room = new VoiceRoom();
        try
        {
            string? shareLink = null;
            for (var i = 1; i <= viewers; i++)
            {
                var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 900, 700);
                room._viewers.Add((context, page, errors, ""));
                if (shareLink is null)
                {
                    await page.GotoAsync("/watch");
                    await page.GetByLabel("Your display name").FillAsync($"Viewer {i}");
                    await page.GetByLabel("Room name").FillAsync("Voice room");
                    await page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
                    await page.WaitForURLAsync("**/watch/*");
                }
                else
                {
                    await page.GotoAsync(shareLink);
                    await page.GetByLabel("Your display name").FillAsync($"Viewer {i}");
                    await page.GetByRole(AriaRole.Button, new() { Name = "Join room" }).ClickAsync();
                }

                try
                {
                    await page.Locator(".connection").GetByText("Connected", new() { Exact = true }).WaitForAsync();
                }
                catch (TimeoutException e)
                {
                    // What the page said instead: a toast (a refused join, a failed hub start), its connection state, console errors.
                    var shown = await page.Locator("#toasts .toast, .connection").AllInnerTextsAsync();
                    string[] logged;
                    lock (errors)
                    {
                        logged = [.. errors];
                    }
                    throw new TimeoutException($"viewer {i} never showed Connected; the page showed [{string.Join(" | ", shown)}], "
                        + $"console errors [{string.Join(" | ", logged)}]", e);
                }
                shareLink ??= await page.Locator("#share-link").InputValueAsync();
                var session = await page.EvaluateAsync<JsonElement>("() => JSON.parse(localStorage.getItem('syncwatch.session'))");
                room._viewers[^1] = (context, page, errors, session.GetProperty("userId").GetString()!);
            }
        }
        catch
        {
            await room.DisposeAsync();
            throw;
        }

        return room;
    }

    /// <summary>
    /// Every viewer presses "Join voice" at one instant: each page schedules the click for the same wall-clock time (the
    /// contexts share the machine's clock), so the joins reach the hub together rather than one CDP round trip apart.
    /// Returns that instant (unix ms).
    /// </summary>
    public async Task<double> PressJoinVoiceTogetherAsync(IEnumerable<IPage>? pages = null)
    {
        var targets = (pages ?? Pages).ToList();
        var at = await targets[0].EvaluateAsync<double>("() => Date.now() + 250");
        await Task.WhenAll(targets.Select(p => p.EvaluateAsync(
            "at => setTimeout(() => document.getElementById('voice-toggle').click(), at - Date.now())", at)));
        return at;
    }

    /// <summary>The network changes under every viewer at one instant (the browser's "online" event): each restarts ICE.</summary>
    public async Task ChangeNetworkTogetherAsync()
    {
        var at = await Pages[0].EvaluateAsync<double>("() => Date.now() + 250");
        await Task.WhenAll(Pages.Select(p => p.EvaluateAsync("at => setTimeout(() => window.dispatchEvent(new Event('online')), at - Date.now())", at)));
    }

    /// <summary>Waits until every link of every viewer applied more than <paramref name="negotiations"/> remote descriptions and is connected.</summary>
    public async Task WaitForRenegotiationAsync(int negotiations, TimeSpan timeout)
    {
        await Task.WhenAll(Pages.Select(p => p.WaitForFunctionAsync("""
            n => {
              const d = window.syncwatch && window.syncwatch();
              return !!d && d.voiceLinks.length > 0 && d.voiceLinks.every(l => l.negotiations > n && l.state === 'connected');
            }
            """, negotiations, new() { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 50 })));
    }

    /// <summary>Waits until every viewer is in voice with a connected link to each other viewer and to nobody else.</summary>
    public async Task WaitForFullMeshAsync(TimeSpan timeout)
    {
        var all = _viewers.Select(v => v.UserId).ToArray();
        await Task.WhenAll(_viewers.Select(v =>
        {
            var others = all.Where(u => u != v.UserId).Order().ToArray();
            return v.Page.WaitForFunctionAsync("""
                others => {
                  const d = window.syncwatch && window.syncwatch();
                  if (!d || !d.voiceActive || d.inVoice !== others.length + 1 || d.voiceLinks.length !== others.length) return false;
                  const linked = d.voiceLinks.filter(l => l.state === 'connected').map(l => l.userId).sort();
                  return JSON.stringify(linked) === JSON.stringify(others);
                }
                """, others, new() { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 50 });
        }));
    }

    /// <summary>Every viewer leaves voice; waits until every page sees nobody in it.</summary>
    public async Task LeaveVoiceAsync(TimeSpan timeout)
    {
        foreach (var (_, page, _, _) in _viewers)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Leave voice" }).ClickAsync();
        }

        await Task.WhenAll(_viewers.Select(v => v.Page.WaitForFunctionAsync(
            "() => { const d = window.syncwatch && window.syncwatch(); return !!d && !d.voiceActive && d.inVoice === 0; }",
            null, new() { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 50 })));
    }

    public async Task<VoiceState> VoiceStateAsync(IPage page) =>
        JsonSerializer.Deserialize<VoiceState>(await page.EvaluateAsync<JsonElement>("() => window.syncwatch()"), Json)!;

    /// <summary>Error messages on the pages (toasts with role=alert) and console errors, each with its viewer.</summary>
    public async Task<List<string>> ProblemsAsync()
    {
        var problems = new List<string>();
        for (var i = 0; i < _viewers.Count; i++)
        {
            var (_, page, errors, _) = _viewers[i];
            foreach (var toast in await page.Locator("#toasts .toast-error").AllInnerTextsAsync())
            {
                problems.Add($"viewer {i + 1} shows: {toast}");
            }

            lock (errors)
            {
                problems.AddRange(errors.Select(e => $"viewer {i + 1} console: {e}"));
            }
        }

        return problems;
    }

    /// <summary>What each page reports, for failure messages.</summary>
    public async Task<string> DescribeAsync()
    {
        var lines = new List<string>();
        for (var i = 0; i < _viewers.Count; i++)
        {
            try
            {
                var s = await VoiceStateAsync(_viewers[i].Page);
                lines.Add($"viewer {i + 1} ({_viewers[i].UserId}): in voice {s.VoiceActive}, list {s.InVoice}, links " +
                          string.Join(", ", s.VoiceLinks.Select(l => $"{l.DisplayName}/{l.UserId[..8]} {l.State} polite={l.Polite} repairs={l.Repairs} negotiations={l.Negotiations} rollbacks={l.Rollbacks}")));
            }
            catch (PlaywrightException e)
            {
                lines.Add($"viewer {i + 1}: {e.Message}");
            }
        }

        return string.Join("\n", lines.Concat(await ProblemsAsync()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (context, _, _, _) in _viewers)
        {
            await context.CloseAsync();
        }
    }
}

using System.Diagnostics;

namespace Web.Frontend.Tests;

/// <summary>
/// Voice chat between browsers with Chromium's fake microphones, through the whole system: the hub connections spread
/// over both Sync.Api replicas (the proxy in front of them takes turns), so signals cross the Redis backplane.
/// </summary>
public sealed class VoiceChatTests(EndToEnd e2e)
{
    private const int Rounds = 20;
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public Task TwoViewersWhoPressJoinVoiceAtTheSameMomentAreConnectedInEveryRound() => SimultaneousJoinsAsync(2);

    [Fact]
    public Task ThreeViewersWhoPressJoinVoiceAtTheSameMomentAreAllConnectedInEveryRound() => SimultaneousJoinsAsync(3);

    [Fact]
    public async Task ANetworkChangeSeenByBothEndsAtOnceRenegotiatesTheCallWithoutGlare()
    {
        await using var room = await VoiceRoom.OpenAsync(e2e, 2);
        await room.PressJoinVoiceTogetherAsync();
        await WaitForMeshAsync(room, "the call");
        for (var change = 1; change <= 5; change++)
        {
            // Both restart ICE at once, so their offers cross: the polite end rolls its own back and answers.
            await room.ChangeNetworkTogetherAsync();
            try
            {
                await room.WaitForRenegotiationAsync(change, RoundTimeout);
            }
            catch (Microsoft.Playwright.PlaywrightException e)
            {
                throw new TimeoutException($"network change {change}: not renegotiated:\n{await room.DescribeAsync()}", e);
            }

            var problems = await room.ProblemsAsync();
            Assert.True(problems.Count == 0, $"network change {change}:\n{string.Join("\n", problems)}");
        }

        var links = (await Task.WhenAll(room.Pages.Select(room.VoiceStateAsync))).SelectMany(s => s.VoiceLinks).ToList();
        TestContext.Current.SendDiagnosticMessage(
            $"5 network changes at both ends: {links.Sum(l => l.Rollbacks)} offers rolled back, {links.Sum(l => l.Repairs)} restarts");
        Assert.True(links.Sum(l => l.Rollbacks) > 0, "the offers never crossed, so the test did not exercise a collision");
    }

    [Fact]
    public async Task AViewerWhoReloadsMidCallIsConnectedToEveryoneAgain()
    {
        await using var room = await VoiceRoom.OpenAsync(e2e, 3);
        await room.PressJoinVoiceTogetherAsync();
        await WaitForMeshAsync(room, "the call before the reload");
        var before = await room.VoiceStateAsync(room.Pages[0]);

        await room.Pages[1].ReloadAsync();

        // The reloaded page comes back into the room and the call by itself; the others drop its old link and connect
        // to its new one (a new hub connection, so a new peer id).
        await WaitForMeshAsync(room, "the call after viewer 2 reloaded");
        var after = await room.VoiceStateAsync(room.Pages[0]);
        var reloadedUser = (await room.VoiceStateAsync(room.Pages[1])).VoiceLinks.Select(l => l.UserId).ToHashSet();
        var oldPeer = before.VoiceLinks.Single(l => !reloadedUser.Contains(l.UserId)).PeerId;
        Assert.DoesNotContain(after.VoiceLinks, l => l.PeerId == oldPeer);
        Assert.Empty(await room.ProblemsAsync());
    }

    private async Task SimultaneousJoinsAsync(int viewers)
    {
        await using var room = await VoiceRoom.OpenAsync(e2e, viewers);
        var connectMs = new List<double>();
        for (var round = 1; round <= Rounds; round++)
        {
            var pressedAt = await room.PressJoinVoiceTogetherAsync();
            await WaitForMeshAsync(room, $"round {round}");
            var problems = await room.ProblemsAsync();
            Assert.True(problems.Count == 0, $"round {round}:\n{string.Join("\n", problems)}");
            var connectedAt = new List<double>();
            foreach (var page in room.Pages)
            {
                connectedAt.AddRange((await room.VoiceStateAsync(page)).VoiceLinks.Select(l => l.ConnectedAtMs ?? double.NaN));
            }

            connectMs.Add(connectedAt.Max() - pressedAt);
            await room.LeaveVoiceAsync(RoundTimeout);
        }

        connectMs.Sort();
        TestContext.Current.SendDiagnosticMessage(
            $"{viewers} viewers, {Rounds} rounds: press to every pair connected median {connectMs[Rounds / 2]:F0} ms, max {connectMs[^1]:F0} ms");
    }

    private static async Task WaitForMeshAsync(VoiceRoom room, string what)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await room.WaitForFullMeshAsync(RoundTimeout);
        }
        catch (Microsoft.Playwright.PlaywrightException e) when (e.Message.Contains("Timeout", StringComparison.Ordinal))
        {
            throw new TimeoutException($"{what}: not every pair connected within {watch.Elapsed.TotalSeconds:F0} s:\n{await room.DescribeAsync()}", e);
        }
    }
}

namespace Sync.Api.Playback;

/// <summary>
/// Where committed timelines go: to the room's clients (the hub lives above this folder, in Realtime). Called in commit
/// order, under the room's gate; completes once the change is on its way to everyone.
/// </summary>
public interface ITimelineBroadcast
{
    Task EnqueueAsync(Timeline timeline);
}

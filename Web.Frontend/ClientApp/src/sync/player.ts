// Binds the pure sync engine to an HTMLVideoElement: reads the player, applies the engine's actions, keeps time.
import { SyncEngine, type Command, type PlayerAction, type PlayerState } from './engine';
import { nowMs } from '../ui';

export interface PlayerCallbacks {
  /** The player itself was played, paused or seeked (media keys, picture-in-picture): send it to the room. */
  command(c: Command): void;
  report(kind: 'ready' | 'buffering', positionMs: number): void;
  /** play() was refused by the browser's autoplay policy even muted: the user has to click once. */
  needsGesture(needed: boolean): void;
}

const tickMs = 100;

export class SyncedPlayer {
  private loadedUrl: string | null = null;
  private stalledSinceMs: number | null = null;
  private timer: number | undefined;
  private startTimer: number | undefined;
  private hls: { destroy(): void } | null = null;
  private disposed = false;
  private readonly listeners: [string, EventListener][] = [];

  constructor(readonly video: HTMLVideoElement, readonly engine: SyncEngine, private readonly callbacks: PlayerCallbacks) {
    this.listen('waiting', () => { if (!video.seeking) this.stalledSinceMs ??= nowMs(); });
    this.listen('playing', () => { this.stalledSinceMs = null; });
    this.listen('canplay', () => { this.stalledSinceMs = null; this.tick(); });
    this.listen('loadedmetadata', () => this.tick());
    this.listen('seeked', () => { this.userEvent('seeked'); this.tick(); });
    this.listen('play', () => this.userEvent('play'));
    this.listen('pause', () => { if (!video.ended) this.userEvent('pause'); });
    this.timer = window.setInterval(() => this.tick(), tickMs);
  }

  private listen(type: string, handler: EventListener): void {
    this.video.addEventListener(type, handler);
    this.listeners.push([type, handler]);
  }

  state(): PlayerState {
    const v = this.video;
    return {
      mediaUrl: this.loadedUrl,
      positionMs: v.currentTime * 1000,
      paused: v.paused,
      seeking: v.seeking,
      readyState: v.readyState,
      rate: v.playbackRate,
      stalledSinceMs: this.stalledSinceMs,
    };
  }

  private userEvent(kind: 'play' | 'pause' | 'seeked'): void {
    const command = this.engine.onPlayerEvent(kind, this.state(), nowMs());
    if (command) this.callbacks.command(command);
  }

  /** Runs the engine once: called on a timer, on player events, and exactly when a scheduled play starts. */
  tick(): void {
    if (this.disposed) return;
    const now = nowMs();
    for (const action of this.engine.tick(this.state(), now)) this.apply(action);
    this.scheduleStart(now);
  }

  private scheduleStart(now: number): void {
    window.clearTimeout(this.startTimer);
    const wait = this.engine.msUntilStart(now);
    if (wait !== null && wait < tickMs * 2) {
      this.startTimer = window.setTimeout(() => this.tick(), wait);
    }
  }

  private apply(action: PlayerAction): void {
    const v = this.video;
    switch (action.kind) {
      case 'load':
        void this.load(action.url);
        break;
      case 'seek':
        v.currentTime = action.positionMs / 1000;
        break;
      case 'play':
        this.play();
        break;
      case 'pause':
        v.pause();
        break;
      case 'rate':
        v.playbackRate = action.rate;
        break;
      case 'report':
        this.callbacks.report(action.report, action.positionMs);
        break;
    }
  }

  private play(): void {
    this.video.play().then(() => this.callbacks.needsGesture(false), (e: unknown) => {
      if (!(e instanceof DOMException) || e.name !== 'NotAllowedError') return; // an interrupted play: the next tick retries
      if (!this.video.muted) {
        this.video.muted = true; // muted playback is allowed without a gesture in every browser
        this.video.play().catch(() => this.callbacks.needsGesture(true));
      } else {
        this.callbacks.needsGesture(true);
      }
    });
  }

  /** Called from a click: the gesture the browser wanted. */
  unlock(): void {
    this.video.muted = false;
    this.play();
  }

  private async load(url: string): Promise<void> {
    this.loadedUrl = url;
    this.stalledSinceMs = null;
    this.hls?.destroy();
    this.hls = null;
    const isHls = /\.m3u8(\?|$)/i.test(url);
    if (isHls && !this.video.canPlayType('application/vnd.apple.mpegurl')) {
      const { default: Hls } = await import('hls.js');
      if (this.disposed || this.loadedUrl !== url) return;
      if (Hls.isSupported()) {
        const hls = new Hls();
        hls.loadSource(url);
        hls.attachMedia(this.video);
        this.hls = hls;
        return;
      }
    }
    this.video.src = url;
    this.video.load();
  }

  dispose(): void {
    this.disposed = true;
    window.clearInterval(this.timer);
    window.clearTimeout(this.startTimer);
    for (const [type, handler] of this.listeners) this.video.removeEventListener(type, handler);
    this.hls?.destroy();
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }
}

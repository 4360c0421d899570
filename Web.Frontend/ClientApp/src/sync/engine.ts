// The sync engine: keeps one local player on the room's server-authoritative timeline.
// Pure logic (no DOM, no timers, no network): every function takes the time it needs, so node's test runner covers it.

export type Waiting = { reason: string; deadlineServerMs: number; pending: string[] } | null;

/** The room timeline as Sync.Api sends it (TimelineChanged, snapshots, command results). */
export interface Timeline {
  roomId: string;
  seq: number;
  mediaUrl: string | null;
  mediaTitle: string | null;
  durationMs: number | null;
  playing: boolean;
  positionMs: number;
  atServerMs: number;
  speed: number;
  waiting: Waiting;
}

/** What the player adapter reads from the media element on each tick. */
export interface PlayerState {
  mediaUrl: string | null;
  positionMs: number;
  paused: boolean;
  seeking: boolean;
  /** HTMLMediaElement.readyState: 1 metadata, 2 current data, 3 future data, 4 enough data. */
  readyState: number;
  rate: number;
  /** Local time the player started stalling mid-playback ('waiting' event), or null. */
  stalledSinceMs: number | null;
}

export type PlayerAction =
  | { kind: 'load'; url: string }
  | { kind: 'seek'; positionMs: number }
  | { kind: 'play' }
  | { kind: 'pause' }
  | { kind: 'rate'; rate: number }
  | { kind: 'report'; report: 'ready' | 'buffering'; positionMs: number };

export type Command =
  | { kind: 'play' }
  | { kind: 'pause' }
  | { kind: 'seek'; positionMs: number };

/** Position of the timeline at a server time (play may be scheduled ahead: the position holds until atServerMs). */
export function positionAt(t: Timeline, serverMs: number): number {
  if (t.waiting !== null || !t.playing) {
    return t.positionMs;
  }
  const position = t.positionMs + Math.max(0, serverMs - t.atServerMs) * t.speed;
  return t.durationMs !== null ? Math.min(position, t.durationMs) : position;
}

/** True when the timeline is advancing at this server time. */
export function isRunning(t: Timeline, serverMs: number): boolean {
  return t.playing && t.waiting === null && serverMs >= t.atServerMs
    && (t.durationMs === null || positionAt(t, serverMs) < t.durationMs);
}

/**
 * NTP-style clock offset: offset = server - (t0 + t1) / 2 for a request sent at t0 and answered at t1.
 * The sample with the lowest round trip of the last few wins: its error is bounded by half its round trip.
 */
export class ClockSync {
  private samples: { offsetMs: number; rttMs: number }[] = [];

  constructor(private readonly keep = 8) {}

  addSample(sentLocalMs: number, serverMs: number, receivedLocalMs: number): void {
    const rttMs = Math.max(0, receivedLocalMs - sentLocalMs);
    this.samples.push({ offsetMs: serverMs - (sentLocalMs + receivedLocalMs) / 2, rttMs });
    if (this.samples.length > this.keep) {
      this.samples.shift();
    }
  }

  private best(): { offsetMs: number; rttMs: number } | undefined {
    let best: { offsetMs: number; rttMs: number } | undefined;
    for (const s of this.samples) {
      if (best === undefined || s.rttMs < best.rttMs) best = s;
    }
    return best;
  }

  get sampleCount(): number { return this.samples.length; }
  get offsetMs(): number { return this.best()?.offsetMs ?? 0; }
  get rttMs(): number | null { return this.best()?.rttMs ?? null; }
  toServer(localMs: number): number { return localMs + this.offsetMs; }
  toLocal(serverMs: number): number { return serverMs - this.offsetMs; }
}

export interface DriftConfig {
  /** Below this drift nothing is done. */
  deadbandMs: number;
  /** From this drift the player seeks (once, then a cooldown). */
  seekThresholdMs: number;
  /** The playback rate stays within speed x (1 ± this). */
  maxRateDeviation: number;
  /** A drift is corrected over about this long by the rate nudge (proportional control). */
  correctionHorizonMs: number;
  /** After a corrective seek no other seek happens for this long. */
  seekCooldownMs: number;
}

export const defaultDriftConfig: DriftConfig = {
  deadbandMs: 50,
  seekThresholdMs: 2500,
  maxRateDeviation: 0.05,
  correctionHorizonMs: 1000,
  seekCooldownMs: 3000,
};

export type Correction =
  | { kind: 'none'; rate: number }
  | { kind: 'rate'; rate: number }
  | { kind: 'seek'; positionMs: number; rate: number };

/** The drift ladder: nothing under 50 ms, a rate nudge within 0.95-1.05 up to 2.5 s, a seek (then a cooldown) beyond. */
export class DriftController {
  private cooldownUntilMs = Number.NEGATIVE_INFINITY;
  /** Learned time a seek takes, so a seek lands where the timeline will be when it completes. */
  private seekLatencyMs = 100;

  constructor(readonly config: DriftConfig = defaultDriftConfig) {}

  /** driftMs = local position - timeline position (positive: the player is ahead). */
  decide(driftMs: number, expectedMs: number, speed: number, nowMs: number): Correction {
    const magnitude = Math.abs(driftMs);
    if (magnitude >= this.config.seekThresholdMs && nowMs >= this.cooldownUntilMs) {
      this.cooldownUntilMs = nowMs + this.config.seekCooldownMs;
      return { kind: 'seek', positionMs: expectedMs + this.seekLatencyMs * speed, rate: speed };
    }
    if (magnitude < this.config.deadbandMs) {
      return { kind: 'none', rate: speed };
    }
    const max = this.config.maxRateDeviation;
    const deviation = Math.min(max, Math.max(-max, driftMs / this.config.correctionHorizonMs));
    return { kind: 'rate', rate: speed * (1 - deviation) };
  }

  inCooldown(nowMs: number): boolean { return nowMs < this.cooldownUntilMs; }

  /** Feeds back how long a seek took (seeking until seeked), smoothed, capped so one slow seek cannot overshoot. */
  recordSeekDuration(ms: number): void {
    const clamped = Math.min(1000, Math.max(0, ms));
    this.seekLatencyMs = this.seekLatencyMs * 0.7 + clamped * 0.3;
  }

  get learnedSeekLatencyMs(): number { return this.seekLatencyMs; }
}

/** Ignores the player's own events for a moment after the engine changed the player (no echo loops). */
export class EchoGuard {
  private untilMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs = 700) {}

  arm(nowMs: number, windowMs = this.windowMs): void {
    this.untilMs = Math.max(this.untilMs, nowMs + windowMs);
  }

  isSuppressed(nowMs: number): boolean { return nowMs < this.untilMs; }
}

/** Orders timeline updates: older or repeated states are dropped; a jump past seq+1 means something was missed. */
export class SequenceTracker {
  private last = -1;

  offer(seq: number): 'apply' | 'gap' | 'stale' {
    if (seq <= this.last) return 'stale';
    const gap = this.last >= 0 && seq > this.last + 1;
    this.last = seq;
    return gap ? 'gap' : 'apply';
  }

  get lastSeq(): number { return this.last; }
  reset(): void { this.last = -1; }
}

export interface EngineConfig {
  drift: DriftConfig;
  /** While paused or waiting, the player is moved to the exact position when further off than this. */
  pausedToleranceMs: number;
  /** A ready report is sent when the player sits within this of the waiting position (server allows ±500 ms). */
  readyToleranceMs: number;
  /** A stall shorter than this is not reported (a normal hiccup). */
  bufferingReportAfterMs: number;
  /** A local seek smaller than this is not a user seek (the engine's own corrections). */
  userSeekThresholdMs: number;
  /**
   * For this long after a new timeline or after starting playback, the player is still applying a command (a seek's
   * decode, play()'s start latency): a drift beyond settleSeekThresholdMs is fixed by one seek, not by minutes of
   * rate nudging. Steady-state drift is the ladder's.
   */
  settleWindowMs: number;
  settleSeekThresholdMs: number;
}

export const defaultEngineConfig: EngineConfig = {
  drift: defaultDriftConfig,
  pausedToleranceMs: 40,
  readyToleranceMs: 250,
  bufferingReportAfterMs: 400,
  userSeekThresholdMs: 1000,
  settleWindowMs: 2500,
  settleSeekThresholdMs: 250,
};

/** Combines the parts above: feed it timelines, clock samples and player snapshots; it says what to do. */
export class SyncEngine {
  readonly clock = new ClockSync();
  readonly sequence = new SequenceTracker();
  readonly echo = new EchoGuard();
  readonly drift: DriftController;
  private current: Timeline | null = null;
  private reportedSeq = -1;
  private seekStartedMs: number | null = null;
  private settlingUntilMs = Number.NEGATIVE_INFINITY;
  private settleSeeks = 0;
  /** Drift measured on the last tick while the timeline was running (null otherwise). */
  lastDriftMs: number | null = null;
  /** This member's user id: a ready report is sent only while the room waits for it. */
  userId: string | null = null;

  constructor(readonly config: EngineConfig = defaultEngineConfig) {
    this.drift = new DriftController(config.drift);
  }

  get timeline(): Timeline | null { return this.current; }

  /** Applies a timeline if it is newer than the last one; 'gap' asks the caller to fetch a snapshot too. */
  applyTimeline(t: Timeline, localNowMs: number): 'apply' | 'gap' | 'stale' {
    const verdict = this.sequence.offer(t.seq);
    if (verdict === 'stale') return verdict;
    this.current = t;
    this.echo.arm(localNowMs);
    this.settle(localNowMs);
    return verdict;
  }

  private settle(localNowMs: number): void {
    this.settlingUntilMs = localNowMs + this.config.settleWindowMs;
    this.settleSeeks = 0;
  }

  /** Forgets the room (leaving, or a new room). */
  reset(): void {
    this.current = null;
    this.sequence.reset();
    this.reportedSeq = -1;
    this.lastDriftMs = null;
  }

  /** Local ms until a scheduled play starts (so the adapter can tick exactly then), or null. */
  msUntilStart(localNowMs: number): number | null {
    const t = this.current;
    if (t === null || !t.playing || t.waiting !== null) return null;
    const wait = t.atServerMs - this.clock.toServer(localNowMs);
    return wait > 0 ? wait : null;
  }

  /** Server time now, and where the timeline is. */
  expectedPositionMs(localNowMs: number): number | null {
    return this.current === null ? null : positionAt(this.current, this.clock.toServer(localNowMs));
  }

  tick(player: PlayerState, localNowMs: number): PlayerAction[] {
    const t = this.current;
    this.lastDriftMs = null;
    if (t === null || t.mediaUrl === null) {
      return player.paused ? [] : [{ kind: 'pause' }];
    }
    if (player.mediaUrl !== t.mediaUrl) {
      this.echo.arm(localNowMs);
      return [{ kind: 'load', url: t.mediaUrl }];
    }
    if (player.readyState < 1) {
      return [];
    }

    const serverNow = this.clock.toServer(localNowMs);
    const expected = positionAt(t, serverNow);
    if (player.seeking) {
      this.seekStartedMs ??= localNowMs;
      return [];
    }
    if (this.seekStartedMs !== null) {
      this.drift.recordSeekDuration(localNowMs - this.seekStartedMs);
      this.seekStartedMs = null;
    }

    const actions: PlayerAction[] = [];
    if (!isRunning(t, serverNow)) {
      if (!player.paused) actions.push({ kind: 'pause' });
      if (Math.abs(player.positionMs - expected) > this.config.pausedToleranceMs) {
        actions.push({ kind: 'seek', positionMs: expected });
      } else if (t.waiting !== null && player.readyState >= 3 && this.reportedSeq !== t.seq
        && (this.userId === null || t.waiting.pending.includes(this.userId))
        && Math.abs(player.positionMs - t.positionMs) <= this.config.readyToleranceMs) {
        this.reportedSeq = t.seq;
        actions.push({ kind: 'report', report: 'ready', positionMs: player.positionMs });
      }
      if (Math.abs(player.rate - t.speed) > 0.001) actions.push({ kind: 'rate', rate: t.speed });
      if (actions.length > 0) this.echo.arm(localNowMs);
      return actions;
    }

    if (player.stalledSinceMs !== null && localNowMs - player.stalledSinceMs >= this.config.bufferingReportAfterMs
      && this.reportedSeq !== t.seq) {
      this.reportedSeq = t.seq;
      actions.push({ kind: 'report', report: 'buffering', positionMs: player.positionMs });
    }

    const driftMs = player.positionMs - expected;
    this.lastDriftMs = driftMs;
    const settling = localNowMs < this.settlingUntilMs && this.settleSeeks < 2
      && Math.abs(driftMs) >= this.config.settleSeekThresholdMs;
    if (settling) this.settleSeeks++;
    const correction = (player.paused && Math.abs(driftMs) >= this.config.drift.deadbandMs * 4) || settling
      // Starting from a pause far from the timeline (a late joiner), or a command still landing: jump straight there.
      ? { kind: 'seek' as const, positionMs: expected + (player.paused ? 0 : this.drift.learnedSeekLatencyMs * t.speed), rate: t.speed }
      : this.drift.decide(driftMs, expected, t.speed, localNowMs);
    if (player.paused) this.settle(localNowMs);
    if (correction.kind === 'seek') actions.push({ kind: 'seek', positionMs: correction.positionMs });
    if (Math.abs(player.rate - correction.rate) > 0.001) actions.push({ kind: 'rate', rate: correction.rate });
    if (player.paused) actions.push({ kind: 'play' });
    if (actions.some(a => a.kind !== 'rate' && a.kind !== 'report')) this.echo.arm(localNowMs);
    return actions;
  }

  /**
   * A play, pause or seek event from the player itself (media keys, picture-in-picture controls): returns the
   * command to send to the room, or null when the event is the engine's own doing or matches the timeline.
   */
  onPlayerEvent(kind: 'play' | 'pause' | 'seeked', player: PlayerState, localNowMs: number): Command | null {
    const t = this.current;
    if (t === null || this.echo.isSuppressed(localNowMs)) return null;
    switch (kind) {
      case 'play':
        return t.playing ? null : { kind: 'play' };
      case 'pause':
        return t.playing && t.waiting === null ? { kind: 'pause' } : null;
      case 'seeked': {
        const expected = positionAt(t, this.clock.toServer(localNowMs));
        return Math.abs(player.positionMs - expected) >= this.config.userSeekThresholdMs
          ? { kind: 'seek', positionMs: Math.max(0, Math.round(player.positionMs)) }
          : null;
      }
    }
  }
}

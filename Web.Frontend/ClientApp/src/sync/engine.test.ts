import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClockSync, DriftController, EchoGuard, SequenceTracker, SyncEngine, positionAt, isRunning,
  type PlayerState, type Timeline,
} from './engine.js';

const timeline = (over: Partial<Timeline> = {}): Timeline => ({
  roomId: 'r1', seq: 1, mediaUrl: 'http://x/v.webm', mediaTitle: null, durationMs: 120_000,
  playing: false, positionMs: 10_000, atServerMs: 1_000_000, speed: 1, waiting: null, ...over,
});

const player = (over: Partial<PlayerState> = {}): PlayerState => ({
  mediaUrl: 'http://x/v.webm', positionMs: 10_000, paused: true, seeking: false, readyState: 4, rate: 1,
  stalledSinceMs: null, ...over,
});

test('paused timeline holds its position', () => {
  assert.equal(positionAt(timeline(), 2_000_000), 10_000);
});

test('playing timeline advances with server time and speed', () => {
  const t = timeline({ playing: true, speed: 1.5 });
  assert.equal(positionAt(t, 1_002_000), 13_000);
});

test('play scheduled in the future holds the position until it starts', () => {
  const t = timeline({ playing: true, atServerMs: 1_000_500 });
  assert.equal(positionAt(t, 1_000_200), 10_000);
  assert.equal(isRunning(t, 1_000_200), false);
  assert.equal(isRunning(t, 1_000_600), true);
});

test('waiting timeline holds its position even when playing', () => {
  const t = timeline({ playing: true, waiting: { reason: 'seek', deadlineServerMs: 0, pending: [] } });
  assert.equal(positionAt(t, 1_005_000), 10_000);
});

test('position never passes the media duration', () => {
  const t = timeline({ playing: true, durationMs: 11_000 });
  assert.equal(positionAt(t, 1_010_000), 11_000);
  assert.equal(isRunning(t, 1_010_000), false);
});

test('clock sync keeps the lowest round-trip sample of the last few', () => {
  const clock = new ClockSync(3);
  clock.addSample(0, 1_050, 100);   // rtt 100, offset 1000
  clock.addSample(200, 1_215, 220); // rtt 20,  offset 1005
  clock.addSample(300, 1_400, 500); // rtt 200, offset 1000
  assert.equal(clock.offsetMs, 1005);
  assert.equal(clock.rttMs, 20);
  clock.addSample(600, 1_640, 680); // rtt 80
  clock.addSample(700, 1_740, 780);
  clock.addSample(800, 1_840, 880); // the rtt-20 sample has aged out
  assert.equal(clock.rttMs, 80);
  assert.equal(clock.toServer(10), 10 + clock.offsetMs);
  assert.equal(clock.toLocal(clock.toServer(123)), 123);
});

test('clock sync without samples assumes no offset', () => {
  const clock = new ClockSync();
  assert.equal(clock.offsetMs, 0);
  assert.equal(clock.rttMs, null);
});

test('drift under 50 ms does nothing', () => {
  const d = new DriftController();
  assert.deepEqual(d.decide(49, 0, 1, 0), { kind: 'none', rate: 1 });
  assert.deepEqual(d.decide(-49, 0, 1, 0), { kind: 'none', rate: 1 });
});

test('drift from 50 ms to 2.5 s nudges the rate within 0.95-1.05', () => {
  const d = new DriftController();
  const ahead = d.decide(60, 0, 1, 0);
  assert.equal(ahead.kind, 'rate');
  assert.ok(ahead.rate < 1 && ahead.rate >= 0.95, `rate ${ahead.rate}`);
  const behind = d.decide(-2_400, 0, 1, 0);
  assert.equal(behind.kind, 'rate');
  assert.equal(behind.rate, 1.05);
  const farAhead = d.decide(2_000, 0, 2, 0);
  assert.equal(farAhead.rate, 2 * 0.95);
});

test('drift of 2.5 s or more seeks once, then nudges during the cooldown, then may seek again', () => {
  const d = new DriftController();
  const first = d.decide(-3_000, 50_000, 1, 1_000);
  assert.equal(first.kind, 'seek');
  assert.ok(first.kind === 'seek' && first.positionMs >= 50_000, 'seek lands at or after the timeline');
  assert.equal(d.inCooldown(2_000), true);
  const during = d.decide(-3_000, 51_000, 1, 2_000);
  assert.equal(during.kind, 'rate');
  assert.equal(during.rate, 1.05);
  assert.equal(d.decide(-3_000, 54_000, 1, 4_001).kind, 'seek');
});

test('seek lead follows measured seek durations', () => {
  const d = new DriftController();
  for (let i = 0; i < 30; i++) d.recordSeekDuration(40);
  assert.ok(Math.abs(d.learnedSeekLatencyMs - 40) < 1);
  d.recordSeekDuration(60_000);
  assert.ok(d.learnedSeekLatencyMs <= 40 * 0.7 + 1000 * 0.3 + 0.001, 'one slow seek is capped');
});

test('echo guard suppresses only inside its window', () => {
  const g = new EchoGuard(500);
  assert.equal(g.isSuppressed(0), false);
  g.arm(1_000);
  assert.equal(g.isSuppressed(1_499), true);
  assert.equal(g.isSuppressed(1_500), false);
  g.arm(1_400, 100);
  assert.equal(g.isSuppressed(1_499), true, 'a shorter arm never shortens the window');
});

test('sequence tracker drops old states and reports gaps', () => {
  const s = new SequenceTracker();
  assert.equal(s.offer(5), 'apply');
  assert.equal(s.offer(5), 'stale');
  assert.equal(s.offer(4), 'stale');
  assert.equal(s.offer(6), 'apply');
  assert.equal(s.offer(9), 'gap');
  assert.equal(s.lastSeq, 9);
  s.reset();
  assert.equal(s.offer(1), 'apply');
});

test('engine loads the room media first', () => {
  const e = new SyncEngine();
  e.applyTimeline(timeline(), 0);
  assert.deepEqual(e.tick(player({ mediaUrl: null, readyState: 0 }), 0), [{ kind: 'load', url: 'http://x/v.webm' }]);
});

test('engine waits for metadata before seeking', () => {
  const e = new SyncEngine();
  e.applyTimeline(timeline(), 0);
  assert.deepEqual(e.tick(player({ readyState: 0, positionMs: 0 }), 0), []);
});

test('engine never applies an older timeline', () => {
  const e = new SyncEngine();
  assert.equal(e.applyTimeline(timeline({ seq: 7, positionMs: 7 }), 0), 'apply');
  assert.equal(e.applyTimeline(timeline({ seq: 6, positionMs: 6 }), 0), 'stale');
  assert.equal(e.timeline?.positionMs, 7);
  assert.equal(e.applyTimeline(timeline({ seq: 9 }), 0), 'gap');
});

test('engine pauses and moves to the exact position of a paused timeline', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ positionMs: 42_000 }), 0);
  const actions = e.tick(player({ paused: false, positionMs: 41_000 }), 0);
  assert.deepEqual(actions, [{ kind: 'pause' }, { kind: 'seek', positionMs: 42_000 }]);
});

test('a late joiner seeks to the live position and plays', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0); // local 0 == server 1_000_000
  e.applyTimeline(timeline({ playing: true }), 0);
  const actions = e.tick(player({ positionMs: 0 }), 5_000);
  assert.deepEqual(actions, [{ kind: 'seek', positionMs: 15_000 }, { kind: 'play' }]);
});

test('a running player within the dead band is left alone', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true }), 0);
  assert.deepEqual(e.tick(player({ paused: false, positionMs: 12_030 }), 2_000), []);
  assert.equal(e.lastDriftMs, 30);
});

test('a running player behind by 300 ms speeds up, and returns to normal speed once on time', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true }), 0);
  // Past the settle window of the command: steady-state drift.
  assert.deepEqual(e.tick(player({ paused: false, positionMs: 12_700 }), 3_000), [{ kind: 'rate', rate: 1.05 }]);
  assert.deepEqual(e.tick(player({ paused: false, positionMs: 14_000, rate: 1.05 }), 4_000), [{ kind: 'rate', rate: 1 }]);
});

test('scheduled play is reported so the adapter can start exactly on time', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true, atServerMs: 1_000_300 }), 0);
  assert.equal(e.msUntilStart(100), 200);
  assert.deepEqual(e.tick(player(), 100), []);
  assert.equal(e.msUntilStart(400), null);
});

test('ready is reported once per waiting state, only when this member is awaited', () => {
  const e = new SyncEngine();
  e.userId = 'me';
  e.clock.addSample(0, 1_000_000, 0);
  const waiting = { reason: 'seek', deadlineServerMs: 1_010_000, pending: ['me'] };
  e.applyTimeline(timeline({ seq: 2, playing: true, waiting }), 0);
  assert.deepEqual(e.tick(player({ readyState: 2 }), 10), [], 'not ready before future data');
  assert.deepEqual(e.tick(player(), 20), [{ kind: 'report', report: 'ready', positionMs: 10_000 }]);
  assert.deepEqual(e.tick(player(), 30), []);
  e.applyTimeline(timeline({ seq: 3, playing: true, waiting: { ...waiting, pending: ['other'] } }), 40);
  assert.deepEqual(e.tick(player(), 50), []);
});

test('a long stall while the room plays is reported as buffering once', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true }), 0);
  const stalled = player({ paused: false, positionMs: 11_000, readyState: 2, stalledSinceMs: 500 });
  const first = e.tick(stalled, 1_000);
  assert.deepEqual(first[0], { kind: 'report', report: 'buffering', positionMs: 11_000 });
  assert.equal(e.tick(stalled, 1_100).some(a => a.kind === 'report'), false);
});

test('player events right after a remote command are not echoed back', () => {
  const e = new SyncEngine();
  e.applyTimeline(timeline({ playing: true }), 1_000);
  assert.equal(e.onPlayerEvent('pause', player(), 1_100), null);
  assert.deepEqual(e.onPlayerEvent('pause', player(), 5_000), { kind: 'pause' });
});

test('player events that match the timeline are not commands', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true }), 0);
  assert.equal(e.onPlayerEvent('play', player(), 5_000), null);
  assert.equal(e.onPlayerEvent('seeked', player({ positionMs: 15_200 }), 5_000), null);
  assert.deepEqual(e.onPlayerEvent('seeked', player({ positionMs: 60_000 }), 5_000), { kind: 'seek', positionMs: 60_000 });
});

test('a command still landing is fixed by a seek, steady-state drift of the same size by the rate', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true }), 0);
  // 1 s after the command, play() has only just started: 600 ms behind.
  const landing = e.tick(player({ paused: false, positionMs: 10_400 }), 1_000);
  assert.equal(landing[0]?.kind, 'seek');
  assert.ok(landing[0]?.kind === 'seek' && landing[0].positionMs >= 11_000, 'the seek lands at or after the timeline');
  // Long after any command, the same drift is the ladder's: a rate nudge.
  assert.deepEqual(e.tick(player({ paused: false, positionMs: 19_400 }), 10_000), [{ kind: 'rate', rate: 1.05 }]);
});

test('settling seeks are bounded so a slow player cannot seek in a loop', () => {
  const e = new SyncEngine();
  e.clock.addSample(0, 1_000_000, 0);
  e.applyTimeline(timeline({ playing: true }), 0);
  const seeks = [100, 200, 300, 400].map(now => e.tick(player({ paused: false, positionMs: 9_000 }), now))
    .filter(actions => actions.some(a => a.kind === 'seek')).length;
  assert.equal(seeks, 2);
});

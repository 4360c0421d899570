// A SyncWatch room: the join form (join-form.ts), then the synced player, controls, members, queue, chat and voice
// (room-voice.ts).
import { el, formatClock, nowMs, replaceChildren, toast } from '../ui';
import { ApiError, errorMessage } from '../http';
import { rooms, savedSession, forgetSession, SyncHub, type ChatMessage, type Member, type QueueItem, type Room, type Session, type Snapshot } from './api';
import { SyncEngine, positionAt, type Timeline } from './engine';
import { SyncedPlayer } from './player';
import { allowed, deniedReason } from './permissions';
import { chatLine, floatReaction, renderMembers, renderPermissions, renderQueue } from './room-view';
import { buildRoomLayout, type RoomLayout } from './room-layout';
import { guestSessionEndedText, renderJoinForm } from './join-form';
import { RoomVoice } from './room-voice';
import { probeDuration } from './media-probe';

const passwordKey = (roomId: string) => `syncwatch.password.${roomId}`;

export async function mountRoom(root: HTMLElement, params: Record<string, string>): Promise<() => void> {
  const roomId = params.roomId;
  let room: Room;
  try {
    room = await rooms.get(roomId);
  } catch (e) {
    const text = e instanceof ApiError && e.status === 404 ? 'This room does not exist. Check the link.' : errorMessage(e);
    replaceChildren(root, el('section', { class: 'card' }, el('h1', {}, 'Room unavailable'), el('p', { role: 'alert' }, text),
      el('a', { href: '/watch', 'data-link': true }, 'Back to SyncWatch')));
    return () => {};
  }

  // Held in an object: the closure below assigns it, which TypeScript's narrowing does not follow.
  const current: { controller: RoomController | null } = { controller: null };
  const start = async (session: Session, password: string | null) => {
    await rooms.join(session.token, roomId, password);
    if (password) sessionStorage.setItem(passwordKey(roomId), password);
    current.controller = new RoomController(root, room, session, password);
    await current.controller.start();
  };

  const session = savedSession();
  const storedPassword = sessionStorage.getItem(passwordKey(roomId));
  const autoJoin = session !== null && (!room.hasPassword || storedPassword !== null);
  let joined = false;
  let notice: string | null = null;
  if (autoJoin) {
    try {
      await start(session, storedPassword);
      joined = true;
    } catch (e) {
      current.controller?.dispose();
      current.controller = null;
      // The saved guest session has ended. Joining as a new guest silently would drop this member's role in the room:
      // say so, and let the person join again.
      if (e instanceof ApiError && e.status === 401) {
        forgetSession();
        notice = guestSessionEndedText;
      } else {
        toast(errorMessage(e), 'error');
      }
    }
  }
  if (!joined) renderJoinForm(root, room, start, notice);
  return () => current.controller?.dispose();
}

class RoomController {
  private readonly engine = new SyncEngine();
  private readonly hub: SyncHub;
  private readonly ui: RoomLayout;
  private player: SyncedPlayer | null = null;
  private readonly voice: RoomVoice;
  private room: Room;
  private you: Member | null = null;
  private members: Member[] = [];
  private queue: QueueItem[] = [];
  private readonly chatIds = new Set<number>();
  private timers: number[] = [];
  private disposed = false;

  constructor(private readonly root: HTMLElement, room: Room, private readonly session: Session, private readonly password: string | null) {
    this.room = room;
    this.engine.userId = session.userId;
    this.hub = new SyncHub(() => this.session.token, {
      timelineChanged: t => this.applyTimeline(t),
      membersChanged: m => { this.members = m; this.you = m.find(x => x.userId === session.userId) ?? this.you; this.renderPeople(); this.renderControls(); },
      roomChanged: r => { this.room = r; this.renderPeople(); this.renderControls(); },
      queueChanged: q => { this.queue = q; this.renderQueue(); },
      chatReceived: m => this.addChat(m),
      reactionReceived: r => floatReaction(this.ui.reactions, r.emoji, r.displayName),
      voiceChanged: v => { this.voice.setPeers(v); this.renderPeople(); },
      signalReceived: s => this.voice.onSignal(s),
      resyncRequested: () => void this.resync(),
      connectionChanged: state => this.setConnection(state),
      reconnected: () => void this.rejoin(),
    });
    this.voice = new RoomVoice(this.hub, session.userId, room.id, {
      members: () => this.members,
      changed: () => this.renderPeople(),
      show: (active, busy, muted, description) => this.ui.setVoiceState(active, busy, muted, description),
    });
    this.ui = buildRoomLayout(root, room, {
      togglePlay: () => this.command(() => this.engine.timeline?.playing ? this.hub.pause() : this.hub.play()),
      seek: ms => this.command(() => this.hub.seek(ms)),
      seekBy: delta => this.command(() => this.hub.seek(Math.max(0, (this.engine.expectedPositionMs(nowMs()) ?? 0) + delta))),
      setSpeed: speed => this.command(() => this.hub.setSpeed(speed)),
      setOptOut: optOut => void this.hub.setWaitOptOut(optOut).catch(e => toast(errorMessage(e), 'error')),
      playUrl: (url, title) => void this.playUrl(url, title),
      enqueue: (url, title) => void this.enqueue(url, title),
      playNext: () => this.command(() => this.hub.playNext()),
      sendChat: text => this.hub.sendChat(text).then(m => this.addChat(m)),
      react: emoji => void this.hub.sendReaction(emoji).catch(e => toast(errorMessage(e), 'error')),
      toggleVoice: () => void this.voice.toggle(),
      toggleMute: () => this.voice.toggleMute(),
      unlock: () => this.player?.unlock(),
    });
  }

  async start(): Promise<void> {
    this.player = new SyncedPlayer(this.ui.video, this.engine, {
      command: c => this.command(() => c.kind === 'seek' ? this.hub.seek(c.positionMs) : c.kind === 'play' ? this.hub.play() : this.hub.pause()),
      report: (kind, positionMs) => void (kind === 'ready' ? this.hub.reportReady(positionMs) : this.hub.reportBuffering(positionMs))
        .then(t => this.applyTimeline(t)).catch(e => this.onReportError(e)),
      needsGesture: needed => { this.ui.unlockButton.hidden = !needed; },
    });
    await this.hub.start();
    await this.sampleClock(5);
    this.applySnapshot(await this.hub.joinRoom(this.room.id, this.password));
    this.setConnection('connected');
    this.voice.resumeAfterReload();
    this.timers.push(window.setInterval(() => void this.sampleClock(1), 3000));
    this.timers.push(window.setInterval(() => void this.hub.heartbeat(this.engine.clock.rttMs).catch(() => {}), 5000));
    this.timers.push(window.setInterval(() => this.renderStatus(), 250));
    (window as unknown as Record<string, unknown>).syncwatch = () => this.debugState();
  }

  private debugState() {
    const t = this.engine.timeline;
    const local = nowMs();
    return {
      seq: t?.seq ?? null, playing: t?.playing ?? false, waiting: t?.waiting !== null, mediaUrl: t?.mediaUrl ?? null,
      positionMs: this.ui.video.currentTime * 1000, expectedMs: t ? positionAt(t, this.engine.clock.toServer(local)) : null,
      driftMs: this.engine.lastDriftMs, offsetMs: this.engine.clock.offsetMs, rttMs: this.engine.clock.rttMs,
      paused: this.ui.video.paused, rate: this.ui.video.playbackRate, connected: this.hub.connected,
      voiceActive: this.voice.active, voiceLinks: this.voice.debug(), inVoice: this.voice.peers.length,
    };
  }

  private async sampleClock(count: number): Promise<void> {
    for (let i = 0; i < count && !this.disposed; i++) {
      if (!this.hub.connected) return;
      const sent = nowMs();
      try {
        const server = await this.hub.getServerTime();
        this.engine.clock.addSample(sent, server, nowMs());
      } catch {
        return;
      }
      if (i < count - 1) await new Promise(r => setTimeout(r, 100));
    }
  }

  private applySnapshot(s: Snapshot): void {
    this.room = s.room;
    this.you = s.you;
    this.members = s.members;
    this.queue = s.queue;
    this.voice.setPeers(s.voice);
    this.chatIds.clear();
    replaceChildren(this.ui.chatList);
    for (const m of s.recentChat) this.addChat(m);
    this.applyTimeline(s.timeline);
    this.renderPeople();
    this.renderQueue();
    this.renderControls();
    this.ui.optOut.checked = s.you.optOutOfWaiting;
  }

  private applyTimeline(t: Timeline): void {
    const verdict = this.engine.applyTimeline(t, nowMs());
    if (verdict === 'stale') return;
    this.player?.tick();
    this.renderControls();
    if (verdict === 'gap') void this.resync();
  }

  private async resync(): Promise<void> {
    try {
      this.applySnapshot(await this.hub.snapshot());
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  /** After a reconnect the connection is new: join the room again; the snapshot restores everything. */
  private async rejoin(): Promise<void> {
    try {
      await this.sampleClock(3);
      this.applySnapshot(await this.hub.joinRoom(this.room.id, this.password));
      this.setConnection('connected');
      await this.voice.rejoin();
    } catch (e) {
      toast(`Could not rejoin the room: ${errorMessage(e)}`, 'error');
    }
  }

  private command(run: () => Promise<Timeline>): void {
    run().then(t => this.applyTimeline(t), e => {
      toast(errorMessage(e), 'error');
      // A refused command carries the current timeline where it has one: show the truth again.
      const value = (e as { value?: Timeline | null }).value;
      if (value && typeof value === 'object' && 'seq' in value) this.applyTimeline(value);
    });
  }

  private onReportError(e: unknown): void {
    const code = (e as { code?: string }).code;
    if (code === 'not_waiting' || code === 'position_mismatch') return; // the room moved on: the next timeline says where
    toast(errorMessage(e), 'error');
  }

  private async playUrl(url: string, title: string | null): Promise<void> {
    const durationMs = await probeDuration(url);
    this.command(() => this.hub.changeMedia(url, title, durationMs));
  }

  private async enqueue(url: string, title: string | null): Promise<void> {
    try {
      const item = await this.hub.queueAdd(url, title, await probeDuration(url));
      if (!this.queue.some(q => q.id === item.id)) this.queue = [...this.queue, item];
      this.renderQueue();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private addChat(m: ChatMessage): void {
    if (this.chatIds.has(m.id)) return;
    this.chatIds.add(m.id);
    const list = this.ui.chatList;
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
    list.appendChild(chatLine(m, this.session.userId));
    while (list.children.length > 200) list.firstElementChild?.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  private renderPeople(): void {
    renderMembers(this.ui.members, this.members, this.you, this.voice.speaking, this.voice.peers, this.voice.links(), {
      setRole: (userId, role) => void rooms.setRole(this.session.token, this.room.id, userId, role)
        .catch(e => { toast(errorMessage(e), 'error'); this.renderPeople(); }),
    });
    renderPermissions(this.ui.permissions, this.room, this.you, {
      setPermissions: p => void rooms.setPermissions(this.session.token, this.room.id, p)
        .then(r => { this.room = r; this.renderControls(); }).catch(e => toast(errorMessage(e), 'error')),
    });
    this.ui.chatForm.hidden = !allowed(this.you, this.room, 'chat');
    this.voice.render();
  }

  private renderQueue(): void {
    renderQueue(this.ui.queue, this.queue, allowed(this.you, this.room, 'queue'), allowed(this.you, this.room, 'control'), {
      play: (item, index) => {
        const move = index === 0 ? Promise.resolve(true) : this.hub.queueMove(item.id, 0);
        move.then(() => this.command(() => this.hub.playNext()), e => toast(errorMessage(e), 'error'));
      },
      move: (item, to) => void this.hub.queueMove(item.id, to).catch(e => toast(errorMessage(e), 'error')),
      remove: item => void this.hub.queueRemove(item.id).catch(e => toast(errorMessage(e), 'error')),
    });
  }

  private renderControls(): void {
    const t = this.engine.timeline;
    const canControl = allowed(this.you, this.room, 'control');
    this.ui.setControlState(t, canControl, allowed(this.you, this.room, 'queue'));
    this.ui.setDeniedNotes({
      control: deniedReason('control', this.you, this.room, this.members),
      queue: deniedReason('queue', this.you, this.room, this.members),
      chat: deniedReason('chat', this.you, this.room, this.members),
    });
    this.ui.title.textContent = this.room.name;
  }

  private renderStatus(): void {
    const t = this.engine.timeline;
    const expected = this.engine.expectedPositionMs(nowMs());
    this.ui.setProgress(expected ?? 0, t?.durationMs ?? (Number.isFinite(this.ui.video.duration) ? this.ui.video.duration * 1000 : null));
    const waiting = t?.waiting ? `Waiting for ${t.waiting.pending.length} member(s) to buffer…` : '';
    const drift = this.engine.lastDriftMs;
    this.ui.syncInfo.textContent = `${waiting}${waiting ? ' · ' : ''}drift ${drift === null ? '–' : `${Math.round(drift)} ms`} · rtt ${this.engine.clock.rttMs?.toFixed(0) ?? '–'} ms`;
    this.ui.time.textContent = `${formatClock(expected ?? 0)} / ${t?.durationMs ? formatClock(t.durationMs) : '–'}`;
  }

  private setConnection(state: 'connected' | 'reconnecting' | 'disconnected'): void {
    const text = { connected: 'Connected', reconnecting: 'Reconnecting…', disconnected: 'Disconnected: retrying…' }[state];
    this.ui.root.setAttribute('aria-busy', String(state !== 'connected'));
    this.ui.connection.textContent = text;
    this.ui.connection.className = `connection ${state}`;
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) window.clearInterval(t);
    this.voice.dispose();
    this.player?.dispose();
    void this.hub.stop();
    delete (window as unknown as Record<string, unknown>).syncwatch;
    replaceChildren(this.root);
  }
}

// Everything that talks to Sync.Api: its HTTP API (through /api/sync on this host) and its hub (/hubs/sync).
import { HubConnection, HubConnectionBuilder, HubConnectionState, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { request } from '../http';
import type { Timeline } from './engine';
import { RoomRevisions } from './revisions';
import type { Permissions, Role } from './permissions';

export type { Permissions, Role };
export interface Session { token: string; userId: string; displayName: string; expiresAt: string }
export interface Room { id: string; name: string; hasPassword: boolean; permissions: Permissions; createdAt: string }
export interface Member { userId: string; displayName: string; role: Role; online: boolean; optOutOfWaiting: boolean }
export interface QueueItem { id: number; url: string; title: string | null; durationMs: number | null; addedBy: string }
export interface ChatMessage { id: number; userId: string; displayName: string; text: string; sentAt: string }
export interface Reaction { userId: string; displayName: string; emoji: string; atServerMs: number }
export interface VoicePeer { peerId: string; userId: string; displayName: string }
export type SignalKind = 'offer' | 'answer' | 'ice' | 'bye';
export interface Signal { fromPeerId: string; fromUserId: string; kind: SignalKind; payload: string }
export interface Snapshot {
  room: Room; you: Member; members: Member[]; queue: QueueItem[]; timeline: Timeline;
  voice: VoicePeer[]; recentChat: ChatMessage[]; serverTimeMs: number; revision: number;
}
interface HubErrorBody { code: string; message: string; retryAfterMs: number | null }
interface HubResult<T> { ok: boolean; value: T | null; error: HubErrorBody | null }

const api = '/api/sync';
const sessionKey = 'syncwatch.session';

export function savedSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(sessionKey) ?? 'null') as Session | null;
    return s && new Date(s.expiresAt).getTime() > Date.now() ? s : null;
  } catch {
    return null;
  }
}

export function forgetSession(): void { localStorage.removeItem(sessionKey); }

export async function createSession(displayName: string): Promise<Session> {
  const session = await request<Session>(`${api}/sessions`, { json: { displayName } });
  localStorage.setItem(sessionKey, JSON.stringify(session));
  return session;
}

export const rooms = {
  create: (token: string, name: string, password: string | null) =>
    request<Room>(`${api}/rooms`, { token, json: { name, password } }),
  get: (roomId: string) => request<Room>(`${api}/rooms/${encodeURIComponent(roomId)}`),
  join: (token: string, roomId: string, password: string | null) =>
    request<Member>(`${api}/rooms/${encodeURIComponent(roomId)}/join`, { token, json: { password } }),
  leave: (token: string, roomId: string) =>
    request<void>(`${api}/rooms/${encodeURIComponent(roomId)}/leave`, { token, method: 'POST' }),
  setRole: (token: string, roomId: string, userId: string, role: Role) =>
    request<Member>(`${api}/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}/role`, { token, method: 'PUT', json: { role } }),
  setPermissions: (token: string, roomId: string, permissions: Permissions) =>
    request<Room>(`${api}/rooms/${encodeURIComponent(roomId)}/permissions`, { token, method: 'PUT', json: permissions }),
};

/** A refused hub command: the hub's typed error (code, readable message, and the current state where it has one). */
export class HubCommandError<T = unknown> extends Error {
  constructor(readonly code: string, message: string, readonly retryAfterMs: number | null, readonly value: T | null) {
    super(code === 'rate_limited' && retryAfterMs ? `${message} Try again in ${Math.ceil(retryAfterMs / 1000)} s.` : message);
    this.name = 'HubCommandError';
  }
}

export interface SyncClientHandlers {
  timelineChanged(t: Timeline): void;
  membersChanged(m: Member[]): void;
  roomChanged(r: Room): void;
  queueChanged(q: QueueItem[]): void;
  chatReceived(m: ChatMessage): void;
  reactionReceived(r: Reaction): void;
  voiceChanged(v: VoicePeer[]): void;
  signalReceived(s: Signal): void;
  resyncRequested(): void;
  connectionChanged(state: 'connected' | 'reconnecting' | 'disconnected'): void;
  reconnected(): void;
}

/**
 * The hub connection. WebSockets only, without the negotiate round trip: with several Sync.Api replicas behind one
 * address there are no sticky sessions, and a skipped negotiate means the whole connection lives on one socket.
 */
export class SyncHub {
  readonly connection: HubConnection;
  private readonly revisions = new RoomRevisions<Snapshot>();
  private stopped = false;

  constructor(tokenFactory: () => string, private readonly handlers: SyncClientHandlers) {
    this.connection = new HubConnectionBuilder()
      .withUrl('/hubs/sync', { accessTokenFactory: tokenFactory, skipNegotiation: true, transport: HttpTransportType.WebSockets })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(10_000, 250 * 2 ** Math.min(ctx.previousRetryCount, 6)) })
      .withServerTimeout(30_000)
      .withKeepAliveInterval(10_000)
      .configureLogging(LogLevel.None)
      .build();
    const c = this.connection;
    c.on('TimelineChanged', (t: Timeline) => handlers.timelineChanged(t));
    const revisions = this.revisions;
    c.on('MembersChanged', (m: Member[], rev: number) => { if (revisions.accept('members', rev, m)) handlers.membersChanged(m); });
    c.on('RoomChanged', (r: Room, rev: number) => { if (revisions.accept('room', rev, r)) handlers.roomChanged(r); });
    c.on('QueueChanged', (q: QueueItem[], rev: number) => { if (revisions.accept('queue', rev, q)) handlers.queueChanged(q); });
    c.on('ChatReceived', (m: ChatMessage) => handlers.chatReceived(m));
    c.on('ReactionReceived', (r: Reaction) => handlers.reactionReceived(r));
    c.on('VoiceChanged', (v: VoicePeer[], rev: number) => { if (revisions.accept('voice', rev, v)) handlers.voiceChanged(v); });
    c.on('SignalReceived', (s: Signal) => handlers.signalReceived(s));
    c.on('ResyncRequested', () => handlers.resyncRequested());
    c.onreconnecting(() => handlers.connectionChanged('reconnecting'));
    // 'connected' is the page's to say, once it has joined the room again.
    c.onreconnected(() => handlers.reconnected());
    // Automatic reconnect gives up after a while; keep trying so a long outage still ends in a restored room.
    c.onclose(() => {
      if (this.stopped) return;
      handlers.connectionChanged('disconnected');
      void this.startWithRetry();
    });
  }

  get connected(): boolean { return this.connection.state === HubConnectionState.Connected; }

  async start(): Promise<void> {
    await this.connection.start();
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      await new Promise(r => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))));
      if (this.stopped) return;
      try {
        await this.start();
        this.handlers.reconnected();
        return;
      } catch {
        // The next attempt waits longer.
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection.stop();
  }

  /** Invokes a command that answers with HubResult<T>; a refusal becomes a HubCommandError. */
  async invoke<T>(method: string, ...args: unknown[]): Promise<T> {
    const result = await this.connection.invoke<HubResult<T>>(method, ...args);
    if (!result.ok) {
      const error = result.error ?? { code: 'unknown', message: 'The command was refused.', retryAfterMs: null };
      throw new HubCommandError<T>(error.code, error.message, error.retryAfterMs, result.value);
    }
    return result.value as T;
  }

  getServerTime(): Promise<number> {
    return this.connection.invoke<number>('GetServerTime');
  }

  joinRoom = async (roomId: string, password: string | null) => this.revisions.adopt(await this.invoke<Snapshot>('JoinRoom', roomId, password));
  resume = async () => this.revisions.adopt(await this.invoke<Snapshot>('Resume'));
  snapshot = async () => this.revisions.adopt(await this.invoke<Snapshot>('GetSnapshot'));
  leaveRoom = () => this.invoke<boolean>('LeaveRoom');
  heartbeat = (rttMs: number | null) => this.invoke<boolean>('Heartbeat', rttMs === null ? null : Math.round(rttMs));
  play = () => this.invoke<Timeline>('Play', null);
  pause = () => this.invoke<Timeline>('Pause', null);
  seek = (positionMs: number) => this.invoke<Timeline>('Seek', null, Math.max(0, Math.round(positionMs)));
  setSpeed = (speed: number) => this.invoke<Timeline>('SetSpeed', null, speed);
  changeMedia = (url: string, title: string | null, durationMs: number | null) =>
    this.invoke<Timeline>('ChangeMedia', null, url, title, durationMs);
  playNext = () => this.invoke<Timeline>('PlayNext', null);
  reportReady = (positionMs: number) => this.invoke<Timeline>('ReportReady', Math.round(positionMs));
  reportBuffering = (positionMs: number) => this.invoke<Timeline>('ReportBuffering', Math.round(positionMs));
  setWaitOptOut = (optOut: boolean) => this.invoke<boolean>('SetWaitOptOut', optOut);
  queueAdd = (url: string, title: string | null, durationMs: number | null) => this.invoke<QueueItem>('QueueAdd', url, title, durationMs);
  queueRemove = (itemId: number) => this.invoke<boolean>('QueueRemove', itemId);
  queueMove = (itemId: number, toIndex: number) => this.invoke<boolean>('QueueMove', itemId, toIndex);
  sendChat = (text: string) => this.invoke<ChatMessage>('SendChat', text);
  sendReaction = (emoji: string) => this.invoke<boolean>('SendReaction', emoji);
  joinVoice = () => this.invoke<VoicePeer[]>('JoinVoice');
  leaveVoice = () => this.invoke<boolean>('LeaveVoice');
  voiceHeartbeat = () => this.invoke<boolean>('VoiceHeartbeat');
  sendSignal = (toPeerId: string, kind: SignalKind, payload: string) => this.invoke<boolean>('SendSignal', toPeerId, kind, payload);
}

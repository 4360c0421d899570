// Voice chat: a WebRTC mesh (every peer connects to every other) signalled through the hub's SendSignal/SignalReceived.
// Two people who join at about the same time both see each other: JoinVoice adds the caller and then reads the peer
// list, so "the joiner offers" would have both offer at once. Instead every member opens a link to every peer a voice
// list shows, the impolite end of each pair makes the opening offer, and offers that still cross (both ends restarting
// ICE after a network change, a repair) resolve by perfect negotiation. The rules are in negotiation.ts.
import type { Signal, SignalKind, VoicePeer } from './api';
import { decodeEnvelope, descriptionAction, encodeEnvelope, isPolite, remedy, routeMessage, type ConnectionState, type Envelope, type LinkHealth } from './negotiation';
import { linkStatus, type PeerStatus } from './voice-status';

export interface VoiceTransport {
  joinVoice(): Promise<VoicePeer[]>;
  leaveVoice(): Promise<boolean>;
  voiceHeartbeat(): Promise<boolean>;
  sendSignal(toPeerId: string, kind: SignalKind, payload: string): Promise<boolean>;
}

export interface VoiceEvents {
  speaking(userId: string, speaking: boolean): void;
  /** A link opened, closed or changed state: who is connected changed. */
  changed(): void;
  error(message: string): void;
  /** The browser would not play a peer's audio before a user gesture. */
  audioBlocked(): void;
}

export interface VoiceLinkDebug {
  peerId: string; userId: string; displayName: string; state: ConnectionState; polite: boolean;
  connectedAtMs: number | null; repairs: number;
  /** Remote descriptions applied, and own offers rolled back because the remote's crossed them. */
  negotiations: number; rollbacks: number;
}

const speakingThreshold = 0.02;
const heartbeatMs = 5_000;
const watchdogMs = 1_000;

const errorCode = (e: unknown) => (e as { code?: unknown } | null)?.code;

/** The Network Information API (Chromium): says when the connection type changes. */
const networkInformation = () => (navigator as Navigator & { connection?: EventTarget }).connection;

/** One RTCPeerConnection to one remote peer. */
class Link {
  readonly id = crypto.randomUUID().slice(0, 8);
  /** The remote link this one negotiates with, once a description from it was accepted. */
  remote: string | null = null;
  /** The last offer was ignored (offers crossed, this end impolite): its candidates are ignored too. */
  ignoringOffer = false;
  closed = false;
  everConnected = false;
  connectedAtMs: number | null = null;
  repairs = 0;
  negotiations = 0;
  rollbacks = 0;
  health: LinkHealth;
  stopMeter?: () => void;
  /** Settles when the ICE gathering of this end's last offer produced a candidate (or finished). */
  offerGathered: Promise<void> = Promise.resolve();
  onGathered?: () => void;
  private chain: Promise<void> = Promise.resolve();

  /** Replaced by the voice list's entry when the link was opened by an offer from a peer the list did not show yet. */
  constructor(public peer: VoicePeer, readonly pc: RTCPeerConnection, readonly audio: HTMLAudioElement, readonly polite: boolean, now: number) {
    this.health = { state: 'new', since: now, lastRemedyAt: now, attempts: 0, negotiated: false };
  }

  /** Steps run one at a time, in order: signals apply as they were sent, and an offer is never made halfway through one. */
  enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => {});
    return next;
  }
}

export class VoiceMesh {
  private local: MediaStream | null = null;
  private starting: Promise<void> | null = null;
  /** JoinVoice answered: voice lists now describe a call this browser is part of. */
  private joined = false;
  private readonly links = new Map<string, Link>();
  private roster: VoicePeer[] = [];
  private timers: number[] = [];
  private audioContext: AudioContext | null = null;
  private stopLocalMeter: (() => void) | undefined;
  private muted = false;
  private readonly networkChanged = () => this.restartIce();

  constructor(private readonly transport: VoiceTransport, private readonly selfUserId: string, private readonly events: VoiceEvents) {}

  get active(): boolean { return this.local !== null; }
  get isMuted(): boolean { return this.muted; }

  join(): Promise<void> {
    if (this.local) return Promise.resolve();
    this.starting ??= this.start().finally(() => { this.starting = null; });
    return this.starting;
  }

  private async start(): Promise<void> {
    let local: MediaStream;
    try {
      local = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false });
    } catch {
      throw new Error('Microphone access was refused or no microphone is available.');
    }
    this.local = local;
    this.audioContext = new AudioContext();
    this.stopLocalMeter = this.meter(local, this.selfUserId);
    this.setMuted(this.muted);
    try {
      await this.enterCall();
    } catch (e) {
      this.teardown();
      throw e;
    }
    this.timers.push(window.setInterval(() => this.beat(), heartbeatMs), window.setInterval(() => this.watch(), watchdogMs));
    window.addEventListener('online', this.networkChanged);
    networkInformation()?.addEventListener('change', this.networkChanged);
  }

  /** After a hub reconnect the connection, and so this browser's peer id, is new: every link starts over; the microphone stays on. */
  async rejoin(): Promise<void> {
    if (!this.local) return;
    for (const link of [...this.links.values()]) this.close(link);
    await this.enterCall();
  }

  private async enterCall(): Promise<void> {
    this.joined = false;
    const peers = await this.transport.joinVoice();
    this.joined = true;
    // Lists that arrived while joining may be newer than this read, and offers that arrived meanwhile opened links to
    // peers it may predate: open links to all of them, close none.
    this.reconcile([...peers, ...this.roster.filter(r => !peers.some(p => p.peerId === r.peerId))], false);
  }

  async leave(): Promise<void> {
    if (!this.local) return;
    for (const link of [...this.links.values()]) this.close(link, 'leaving');
    this.teardown();
    await this.transport.leaveVoice().catch(() => false);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    for (const track of this.local?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  /** The latest voice list (VoiceChanged or a snapshot): links to peers that left close, links to new ones open. */
  syncPeers(peers: VoicePeer[]): void {
    this.roster = peers;
    if (this.local && this.joined) this.reconcile(peers, true);
  }

  private reconcile(peers: VoicePeer[], closeMissing: boolean): void {
    // A user's own other tabs are never linked: they would only echo.
    const present = new Map(peers.filter(p => p.userId !== this.selfUserId).map(p => [p.peerId, p]));
    if (closeMissing) {
      // A list can be older than a link: revisions order lists by when they were taken, not by when they were read,
      // so a peer that joined a moment ago may be missing. The bye closes the remote end too, so that both ends
      // start afresh when a later list shows the peer again, instead of one end offering to a link the other closed.
      for (const link of [...this.links.values()]) if (!present.has(link.peer.peerId)) this.close(link, 'reset');
    }
    for (const peer of present.values()) {
      const link = this.links.get(peer.peerId);
      if (link) link.peer = peer;
      else this.open(peer);
    }
  }

  async onSignal(signal: Signal): Promise<void> {
    if (!this.local || signal.fromUserId === this.selfUserId) return;
    const envelope = decodeEnvelope(signal.payload);
    if (!envelope) return;
    let link = this.links.get(signal.fromPeerId);
    if (signal.kind === 'bye') {
      if (!link || routeMessage('bye', envelope, link) !== 'accept') return;
      this.close(link);
      // The remote closed its end only (a stale voice list there): a new link meets the one it opens later.
      const peer = this.roster.find(p => p.peerId === signal.fromPeerId);
      if (!envelope.leaving && peer && this.joined) this.open(peer);
      return;
    }
    if (!link) {
      // Only an opening offer starts a link; anything else is for a link this end has closed.
      if (signal.kind !== 'offer' || envelope.to !== null) return;
      const known = this.roster.find(p => p.peerId === signal.fromPeerId);
      link = this.open(known ?? { peerId: signal.fromPeerId, userId: signal.fromUserId, displayName: 'Someone' }, true);
    } else {
      const route = routeMessage(signal.kind, envelope, link);
      if (route === 'drop') return;
      if (route === 'start-over') {
        this.close(link);
        link = this.open(link.peer, true);
      }
    }
    const target = link;
    await target.enqueue(() => this.apply(target, signal.kind, envelope)).catch(e => this.failed(target, e));
  }

  private async apply(link: Link, kind: SignalKind, envelope: Envelope): Promise<void> {
    if (link.closed) return;
    const pc = link.pc;
    if (kind === 'ice') {
      if (link.ignoringOffer || !envelope.candidate) return;
      // A candidate of a transport that the negotiation has since replaced is refused, and was of no use anyway.
      await pc.addIceCandidate(envelope.candidate).catch(() => {});
      return;
    }
    const description = envelope.description;
    if (!description || description.type !== kind) return;
    const action = descriptionAction(description.type, link.polite, pc.signalingState);
    if (action === 'ignore') {
      if (description.type === 'offer') link.ignoringOffer = true;
      return;
    }
    link.ignoringOffer = false;
    if (action === 'rollback-then-apply') {
      // Chromium never gathers candidates for the answer when the offer was rolled back before its own gathering
      // produced one: the link then stays "new" for good. Let that gathering get going first (it is quick).
      await Promise.race([link.offerGathered, new Promise(resolve => setTimeout(resolve, 1_000))]);
      await pc.setLocalDescription({ type: 'rollback' });
      link.rollbacks++;
    }
    await pc.setRemoteDescription(description);
    link.remote = envelope.from;
    link.health.negotiated = true;
    link.negotiations++;
    if (description.type === 'offer') {
      await pc.setLocalDescription(await pc.createAnswer());
      this.sendDescription(link);
    }
  }

  /** Sends an offer (or an ICE restart) when the link is stable; an offer of ours that went unanswered is withdrawn first. */
  private negotiate(link: Link, iceRestart: boolean): void {
    link.enqueue(async () => {
      if (link.closed) return;
      const pc = link.pc;
      if (iceRestart && pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
      // An opening offer is moot once the remote's own offer was answered: the link is negotiated already.
      if (pc.signalingState !== 'stable' || (!iceRestart && pc.remoteDescription)) return;
      const offer = await pc.createOffer({ iceRestart });
      link.offerGathered = new Promise<void>(resolve => { link.onGathered = resolve; });
      await pc.setLocalDescription(offer);
      this.sendDescription(link);
    }).catch(e => this.failed(link, e));
  }

  private sendDescription(link: Link): void {
    const d = link.pc.localDescription;
    if (!d || (d.type !== 'offer' && d.type !== 'answer')) return;
    this.send(link, d.type, { from: link.id, to: link.remote, description: { type: d.type, sdp: d.sdp } });
  }

  private send(link: Link, kind: SignalKind, envelope: Envelope): void {
    this.transport.sendSignal(link.peer.peerId, kind, encodeEnvelope(envelope)).catch(e => {
      // The peer left voice (its list is on the way). Anything else (a rate limit, a reconnecting hub) leaves the link
      // unconnected, and the watchdog repairs it.
      if (errorCode(e) === 'unknown_peer') this.close(link);
    });
  }

  /** byOffer: opened by the remote's offer, which this end answers. Otherwise the impolite end offers at once and the
   *  polite end waits for that offer (the watchdog has it offer itself if none comes). */
  private open(peer: VoicePeer, byOffer = false): Link {
    // No STUN/TURN servers: peers on one network (or one machine) reach each other through host candidates.
    const pc = new RTCPeerConnection({ iceServers: [] });
    const audio = new Audio();
    audio.autoplay = true;
    const link = new Link(peer, pc, audio, isPolite(this.selfUserId, peer.userId), Date.now());
    for (const track of this.local!.getTracks()) pc.addTrack(track, this.local!);
    pc.onicecandidate = e => {
      link.onGathered?.();
      if (e.candidate && !link.closed) this.send(link, 'ice', { from: link.id, to: link.remote, candidate: e.candidate.toJSON() });
    };
    pc.ontrack = e => {
      const [stream] = e.streams;
      if (!stream || link.closed) return;
      audio.srcObject = stream;
      audio.play().catch(err => { if ((err as Error).name === 'NotAllowedError') this.events.audioBlocked(); });
      link.stopMeter?.();
      link.stopMeter = this.meter(stream, peer.userId);
    };
    pc.onconnectionstatechange = () => {
      if (link.closed) return;
      const state = pc.connectionState;
      link.health = { ...link.health, state, since: Date.now() };
      if (state === 'connected') {
        link.everConnected = true;
        link.connectedAtMs ??= Date.now();
        link.health.attempts = 0;
      }
      this.events.changed();
      if (state === 'failed') this.watch();
    };
    this.links.set(peer.peerId, link);
    if (!byOffer && !link.polite) this.negotiate(link, false);
    this.events.changed();
    return link;
  }

  /** Repairs links that failed, dropped or never connected (see remedy). */
  private watch(): void {
    const now = Date.now();
    for (const link of [...this.links.values()]) {
      const action = remedy(link.health, link.polite, now);
      if (action === 'none') continue;
      const attempts = link.health.attempts + 1;
      if (action === 'replace') {
        this.close(link, 'reset');
        const fresh = this.open(link.peer);
        fresh.health.attempts = attempts;
        fresh.repairs = link.repairs + 1;
      } else {
        link.health = { ...link.health, lastRemedyAt: now, attempts };
        link.repairs++;
        this.negotiate(link, action === 'restart-ice');
      }
    }
  }

  /** The network changed (an interface came up, the connection type changed): this end's candidates are new. */
  private restartIce(): void {
    const now = Date.now();
    for (const link of this.links.values()) {
      if (!link.health.negotiated) continue;
      link.health = { ...link.health, lastRemedyAt: now };
      link.repairs++;
      this.negotiate(link, true);
    }
  }

  /** A step that should not fail did: say so, and let the watchdog repair the link. */
  private failed(link: Link, e: unknown): void {
    if (link.closed) return;
    link.health = { ...link.health, state: 'failed', since: Date.now() };
    this.events.error(`Voice connection to ${link.peer.displayName} hit a problem (${e instanceof Error ? e.message : String(e)}); retrying.`);
    this.events.changed();
  }

  private beat(): void {
    this.transport.voiceHeartbeat().catch(e => {
      // The server let this browser's voice presence lapse (a throttled tab, a long reconnect): join again.
      if (errorCode(e) === 'not_in_voice' && this.local && this.joined) void this.enterCall().catch(() => {});
    });
  }

  /** bye: tell the remote end to close its side too, saying whether this end leaves voice or only this link. */
  private close(link: Link, bye?: 'leaving' | 'reset'): void {
    if (link.closed) return;
    if (bye) this.send(link, 'bye', { from: link.id, to: link.remote, ...(bye === 'leaving' ? { leaving: true } : {}) });
    link.closed = true;
    link.stopMeter?.();
    link.pc.close();
    link.audio.srcObject = null;
    if (this.links.get(link.peer.peerId) === link) this.links.delete(link.peer.peerId);
    this.events.speaking(link.peer.userId, false);
    this.events.changed();
  }

  /** Who this browser hears, and who it is still reaching, by user. */
  statuses(): PeerStatus[] {
    return [...this.links.values()].map(l => ({ userId: l.peer.userId, displayName: l.peer.displayName, status: linkStatus(l.health.state, l.everConnected) }));
  }

  debug(): VoiceLinkDebug[] {
    return [...this.links.values()].map(l => ({
      peerId: l.peer.peerId, userId: l.peer.userId, displayName: l.peer.displayName, state: l.pc.connectionState,
      polite: l.polite, connectedAtMs: l.connectedAtMs, repairs: l.repairs, negotiations: l.negotiations, rollbacks: l.rollbacks,
    }));
  }

  /** After a user gesture: play what the browser refused to play before one. */
  resumeAudio(): void {
    void this.audioContext?.resume();
    for (const link of this.links.values()) if (link.audio.srcObject) void link.audio.play().catch(() => {});
  }

  /** Who is speaking: the RMS level of the stream above a threshold, sampled ten times a second. */
  private meter(stream: MediaStream, userId: string): () => void {
    const ctx = this.audioContext;
    if (!ctx) return () => {};
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    let speaking = false;
    const timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const x of data) sum += x * x;
      const now = Math.sqrt(sum / data.length) > speakingThreshold && !(userId === this.selfUserId && this.muted);
      if (now !== speaking) {
        speaking = now;
        this.events.speaking(userId, now);
      }
    }, 100);
    return () => {
      window.clearInterval(timer);
      source.disconnect();
      if (speaking) this.events.speaking(userId, false);
    };
  }

  private teardown(): void {
    window.removeEventListener('online', this.networkChanged);
    networkInformation()?.removeEventListener('change', this.networkChanged);
    for (const t of this.timers) window.clearInterval(t);
    this.timers = [];
    for (const link of [...this.links.values()]) this.close(link);
    this.stopLocalMeter?.();
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.local = null;
    this.joined = false;
    void this.audioContext?.close();
    this.audioContext = null;
  }

  dispose(): void {
    if (this.local) void this.leave();
  }
}

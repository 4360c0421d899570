// Voice chat: a WebRTC mesh (every peer connects to every other) signalled through the hub's SendSignal/SignalReceived.
// The joiner sends an offer to each peer already in voice, so two peers never offer to each other at once.
import type { Signal, SignalKind, VoicePeer } from './api';

export interface VoiceTransport {
  joinVoice(): Promise<VoicePeer[]>;
  leaveVoice(): Promise<boolean>;
  voiceHeartbeat(): Promise<boolean>;
  sendSignal(toPeerId: string, kind: SignalKind, payload: string): Promise<boolean>;
}

export interface VoiceEvents {
  speaking(userId: string, speaking: boolean): void;
  error(message: string): void;
}

interface Peer { pc: RTCPeerConnection; userId: string; audio: HTMLAudioElement; stopMeter?: () => void }

const speakingThreshold = 0.02;

export class VoiceMesh {
  private local: MediaStream | null = null;
  private readonly peers = new Map<string, Peer>();
  private heartbeat: number | undefined;
  private audioContext: AudioContext | null = null;
  private stopLocalMeter: (() => void) | undefined;
  private muted = false;

  constructor(private readonly transport: VoiceTransport, private readonly selfUserId: string, private readonly events: VoiceEvents) {}

  get active(): boolean { return this.local !== null; }
  get isMuted(): boolean { return this.muted; }

  async join(): Promise<void> {
    if (this.local) return;
    try {
      this.local = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false });
    } catch {
      throw new Error('Microphone access was refused or no microphone is available.');
    }
    this.audioContext = new AudioContext();
    this.stopLocalMeter = this.meter(this.local, this.selfUserId);
    this.setMuted(this.muted);
    let existing: VoicePeer[];
    try {
      existing = await this.transport.joinVoice();
    } catch (e) {
      this.teardown();
      throw e;
    }
    this.heartbeat = window.setInterval(() => void this.transport.voiceHeartbeat().catch(() => {}), 5000);
    for (const peer of existing) {
      if (peer.userId === this.selfUserId) continue;
      const { pc } = this.connect(peer.peerId, peer.userId);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await this.transport.sendSignal(peer.peerId, 'offer', JSON.stringify(offer));
    }
  }

  async leave(): Promise<void> {
    if (!this.local) return;
    for (const peerId of this.peers.keys()) void this.transport.sendSignal(peerId, 'bye', '').catch(() => {});
    this.teardown();
    await this.transport.leaveVoice().catch(() => false);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    for (const track of this.local?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  /** Peers that left voice (VoiceChanged) are closed; new ones will send us offers. */
  syncPeers(peers: VoicePeer[]): void {
    const present = new Set(peers.map(p => p.peerId));
    for (const [peerId, peer] of this.peers) {
      if (!present.has(peerId)) this.close(peerId, peer);
    }
  }

  async onSignal(signal: Signal): Promise<void> {
    if (!this.local) return;
    try {
      switch (signal.kind) {
        case 'offer': {
          const { pc } = this.peers.get(signal.fromPeerId) ?? this.connect(signal.fromPeerId, signal.fromUserId);
          await pc.setRemoteDescription(JSON.parse(signal.payload) as RTCSessionDescriptionInit);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          await this.transport.sendSignal(signal.fromPeerId, 'answer', JSON.stringify(answer));
          break;
        }
        case 'answer':
          await this.peers.get(signal.fromPeerId)?.pc.setRemoteDescription(JSON.parse(signal.payload) as RTCSessionDescriptionInit);
          break;
        case 'ice':
          await this.peers.get(signal.fromPeerId)?.pc.addIceCandidate(JSON.parse(signal.payload) as RTCIceCandidateInit);
          break;
        case 'bye': {
          const peer = this.peers.get(signal.fromPeerId);
          if (peer) this.close(signal.fromPeerId, peer);
          break;
        }
      }
    } catch (e) {
      this.events.error(`Voice connection problem: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private connect(peerId: string, userId: string): Peer {
    // No STUN/TURN servers: peers on one network (or one machine) reach each other through host candidates.
    const pc = new RTCPeerConnection({ iceServers: [] });
    const audio = new Audio();
    audio.autoplay = true;
    const peer: Peer = { pc, userId, audio };
    for (const track of this.local!.getTracks()) pc.addTrack(track, this.local!);
    pc.onicecandidate = e => {
      if (e.candidate) void this.transport.sendSignal(peerId, 'ice', JSON.stringify(e.candidate.toJSON())).catch(() => {});
    };
    pc.ontrack = e => {
      const [stream] = e.streams;
      if (!stream) return;
      audio.srcObject = stream;
      peer.stopMeter?.();
      peer.stopMeter = this.meter(stream, userId);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.close(peerId, peer);
    };
    this.peers.set(peerId, peer);
    return peer;
  }

  private close(peerId: string, peer: Peer): void {
    peer.stopMeter?.();
    peer.pc.close();
    peer.audio.srcObject = null;
    this.peers.delete(peerId);
    this.events.speaking(peer.userId, false);
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
    window.clearInterval(this.heartbeat);
    for (const [peerId, peer] of this.peers) this.close(peerId, peer);
    this.stopLocalMeter?.();
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.local = null;
    void this.audioContext?.close();
    this.audioContext = null;
  }

  dispose(): void {
    if (this.local) void this.leave();
  }
}

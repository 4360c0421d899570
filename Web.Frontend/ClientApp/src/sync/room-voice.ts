// The room's voice chat as the page holds it: the mesh of calls, who is speaking, who is in voice, and whether this tab
// is in the call (kept across a reload of the page).
import { toast } from '../ui';
import { errorMessage } from '../http';
import type { Member, Signal, SyncHub, VoicePeer } from './api';
import { VoiceMesh, type VoiceLinkDebug } from './voice';
import { describeVoice, type LinkStatus, type PeerStatus } from './voice-status';

/** Set while this tab is in the room's voice chat, so that a reload comes back into the call. */
const voiceKey = (roomId: string) => `syncwatch.voice.${roomId}`;

export interface RoomVoiceView {
  /** The room's members as the page knows them: their names label the voice links. */
  members(): Member[];
  /** Who speaks or which links are up changed: the member list shows it. */
  changed(): void;
  /** The voice panel: in the call or not, a join or leave under way, muted, and its one-line description. */
  show(active: boolean, busy: boolean, muted: boolean, description: string): void;
}

export class RoomVoice {
  private readonly mesh: VoiceMesh;
  /** Who is speaking now (by user id). */
  readonly speaking = new Set<string>();
  /** Who is in the room's voice chat, as the server says. */
  peers: VoicePeer[] = [];
  private busy = false;

  constructor(hub: SyncHub, userId: string, private readonly roomId: string, private readonly view: RoomVoiceView) {
    this.mesh = new VoiceMesh(hub, userId, {
      speaking: (user, on) => { if (on) this.speaking.add(user); else this.speaking.delete(user); view.changed(); },
      changed: () => view.changed(),
      error: message => toast(message, 'error'),
      audioBlocked: () => {
        toast('Click anywhere on the page to hear voice chat.');
        document.addEventListener('pointerdown', () => this.mesh.resumeAudio(), { once: true });
      },
    });
  }

  get active(): boolean { return this.mesh.active; }

  setPeers(peers: VoicePeer[]): void {
    this.peers = peers;
    this.mesh.syncPeers(peers);
  }

  onSignal(signal: Signal): void {
    void this.mesh.onSignal(signal);
  }

  /** Back into the call after a reload, if this tab was in it. */
  resumeAfterReload(): void {
    if (sessionStorage.getItem(voiceKey(this.roomId)) === '1') void this.toggle();
  }

  /** After a reconnect: the mesh opens its calls again on the new connection. */
  async rejoin(): Promise<void> {
    await this.mesh.rejoin();
    this.render();
  }

  async toggle(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.render();
    try {
      if (this.mesh.active) {
        sessionStorage.removeItem(voiceKey(this.roomId));
        await this.mesh.leave();
      } else {
        await this.mesh.join();
        sessionStorage.setItem(voiceKey(this.roomId), '1');
      }
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      this.busy = false;
    }
    this.render();
  }

  toggleMute(): void {
    this.mesh.setMuted(!this.mesh.isMuted);
    this.render();
  }

  /** Each member's best link: connected if any of their links is. */
  links(): Map<string, LinkStatus> {
    const links = new Map<string, LinkStatus>();
    for (const s of this.statuses()) if (links.get(s.userId) !== 'connected') links.set(s.userId, s.status);
    return links;
  }

  render(): void {
    this.view.show(this.mesh.active, this.busy, this.mesh.isMuted, describeVoice(this.peers.length, this.mesh.active, this.statuses()));
  }

  debug(): VoiceLinkDebug[] {
    return this.mesh.debug();
  }

  /** Leaving the page leaves the call; only a reload (which never disposes) comes back into it. */
  dispose(): void {
    sessionStorage.removeItem(voiceKey(this.roomId));
    this.mesh.dispose();
  }

  /** The voice links with the names the member list has (a link opened by an offer may predate the voice list). */
  private statuses(): PeerStatus[] {
    const members = this.view.members();
    return this.mesh.statuses().map(s => ({ ...s, displayName: members.find(m => m.userId === s.userId)?.displayName ?? s.displayName }));
  }
}

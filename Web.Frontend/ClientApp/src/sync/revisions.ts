// Room state (members, room, queue, voice) arrives with a room revision taken by the server before it read the state.
// Two Sync.Api replicas can deliver the same list out of order (each delivers to its own sockets directly while the
// other's copy crosses the Redis backplane), so a list is applied only when its revision is higher than the last one
// applied. The highest revision was taken after the last change, so what is left applied is the final state.

export type StateKind = 'members' | 'room' | 'queue' | 'voice';

/** The parts of a room snapshot this cares about. */
export interface RevisionedSnapshot {
  room: { id: string };
  members: unknown[];
  queue: unknown[];
  voice: unknown[];
  revision: number;
}

interface Applied { revision: number; value: unknown }

export class RoomRevisions<S extends RevisionedSnapshot> {
  private roomId: string | null = null;
  private readonly applied = new Map<StateKind, Applied>();

  /** True when this broadcast is newer than what was applied; it is then recorded as applied. */
  accept(kind: StateKind, revision: number, value: unknown): boolean {
    const last = this.applied.get(kind);
    if (last && revision <= last.revision) return false;
    this.applied.set(kind, { revision, value });
    return true;
  }

  /**
   * The snapshot to apply. A snapshot brings the revision it was read at; a list that overtook it (a broadcast sent
   * while the snapshot was on its way) is kept over the snapshot's older copy. A snapshot of another room starts over.
   */
  adopt(s: S): S {
    if (s.room.id !== this.roomId) {
      this.roomId = s.room.id;
      this.applied.clear();
    }
    const take = <T>(kind: StateKind, value: T): T => {
      const last = this.applied.get(kind);
      if (last && last.revision > s.revision) return last.value as T;
      this.applied.set(kind, { revision: s.revision, value });
      return value;
    };
    return {
      ...s,
      room: take('room', s.room),
      members: take('members', s.members),
      queue: take('queue', s.queue),
      voice: take('voice', s.voice),
    };
  }
}

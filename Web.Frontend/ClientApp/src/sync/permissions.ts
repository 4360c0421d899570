// Who may do what in a room, and how a member whose controls are disabled is told why (pure: node tests import it).
// Imports carry .js: node runs the compiled module in its tests.
import { listNames } from '../text.js';

export type Role = 'member' | 'cohost' | 'host';
export interface Permissions { control: Role; queue: Role; chat: Role }
interface MemberRole { displayName: string; role: Role }
interface RoomPermissions { permissions: Permissions }

export const roleRank: Record<Role, number> = { member: 0, cohost: 1, host: 2 };
export const roleLabel: Record<Role, string> = { member: 'Member', cohost: 'Co-host', host: 'Host' };
const rolePlural: Record<Role, string> = { member: 'members', cohost: 'co-hosts', host: 'hosts' };
const actionText: Record<keyof Permissions, string> = { control: 'control playback', queue: 'edit the queue', chat: 'chat' };

export function allowed(you: MemberRole | null, room: RoomPermissions | null, action: keyof Permissions): boolean {
  if (!you || !room) return false;
  return you.role === 'host' || roleRank[you.role] >= roleRank[room.permissions[action]];
}

/** Why this member may not do an action and who can change that; null when they may (or have not joined yet). */
export function deniedReason(action: keyof Permissions, you: MemberRole | null, room: RoomPermissions | null, members: MemberRole[]): string | null {
  if (!you || !room || allowed(you, room, action)) return null;
  const minimum = room.permissions[action];
  const who = minimum === 'host' ? 'Only hosts' : `Only ${rolePlural[minimum]} and hosts`;
  const hosts = members.filter(m => m.role === 'host').map(m => m.displayName).sort((a, b) => a.localeCompare(b));
  const ask = hosts.length === 0 ? 'A host can' : `Ask ${listNames(hosts)} (${hosts.length === 1 ? 'the host' : 'the hosts'}) to`;
  return `${who} can ${actionText[action]} in this room. ${ask} make you a ${roleLabel[minimum].toLowerCase()} or change the room's permissions.`;
}

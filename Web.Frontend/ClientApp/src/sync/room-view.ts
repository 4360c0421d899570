// Rendering of the room's side panels: members, queue, chat, voice. Pure DOM from state; actions are callbacks.
import { el, formatClock, replaceChildren } from '../ui';
import { emoji } from '../emoji';
import type { ChatMessage, Member, Permissions, QueueItem, Role, Room, VoicePeer } from './api';
import { roleLabel, roleRank } from './permissions';
import type { LinkStatus } from './voice-status';

const linkLabel: Record<LinkStatus, string> = { connected: 'connected', connecting: 'connecting…', reconnecting: 'reconnecting…' };

export interface MemberActions { setRole(userId: string, role: Role): void }

/** The members, with who is in voice and, while this browser is in voice too, whether it is connected to them. */
export function renderMembers(list: HTMLElement, members: Member[], you: Member | null, speaking: Set<string>, voice: VoicePeer[],
  links: Map<string, LinkStatus>, actions: MemberActions): void {
  const inVoice = new Set(voice.map(v => v.userId));
  const sorted = [...members].sort((a, b) => roleRank[b.role] - roleRank[a.role] || a.displayName.localeCompare(b.displayName));
  replaceChildren(list, ...sorted.map(m => {
    const isYou = m.userId === you?.userId;
    const roleControl = you?.role === 'host' && !isYou
      ? el('select', { 'aria-label': `Role of ${m.displayName}`, onchange: (e: Event) => actions.setRole(m.userId, (e.target as HTMLSelectElement).value as Role) },
        ...(['member', 'cohost', 'host'] as Role[]).map(r => el('option', { value: r, selected: r === m.role }, roleLabel[r])))
      : el('span', { class: `badge role-${m.role}` }, roleLabel[m.role]);
    const link = isYou ? undefined : links.get(m.userId);
    return el('li', { class: `member${m.online ? '' : ' offline'}${speaking.has(m.userId) ? ' speaking' : ''}`, 'data-user-id': m.userId },
      el('span', { class: 'presence', 'aria-label': m.online ? 'online' : 'offline', role: 'img' }),
      el('span', { class: 'member-name' }, m.displayName, isYou ? ' (you)' : ''),
      inVoice.has(m.userId) ? el('span', { class: 'voice-icon', role: 'img', 'aria-label': speaking.has(m.userId) ? 'speaking' : 'in voice chat' }, emoji(speaking.has(m.userId) ? '🔊' : '🎙')) : null,
      link ? el('span', { class: `badge voice-${link}`, 'data-voice': link }, `voice ${linkLabel[link]}`) : null,
      m.optOutOfWaiting ? el('span', { class: 'badge', title: 'The room does not wait for this member' }, 'no wait') : null,
      roleControl);
  }));
}

export interface PermissionActions { setPermissions(p: Permissions): void }

export function renderPermissions(host: HTMLElement, room: Room | null, you: Member | null, actions: PermissionActions): void {
  if (!room || you?.role !== 'host') {
    replaceChildren(host);
    return;
  }
  const labels: Record<keyof Permissions, string> = { control: 'Control playback', queue: 'Edit the queue', chat: 'Chat' };
  const selects = (Object.keys(labels) as (keyof Permissions)[]).map(key => {
    const id = `perm-${key}`;
    const select = el('select', { id, onchange: () => actions.setPermissions(current()) },
      ...(['member', 'cohost', 'host'] as Role[]).map(r => el('option', { value: r, selected: room.permissions[key] === r }, `${roleLabel[r]}s and up`)));
    return { key, node: el('div', { class: 'field' }, el('label', { for: id }, labels[key]), select), select };
  });
  const current = (): Permissions => Object.fromEntries(selects.map(s => [s.key, s.select.value])) as unknown as Permissions;
  // Re-rendered on every change of the room: keep it open if the host had opened it.
  const open = host.querySelector('details')?.open ?? false;
  replaceChildren(host, el('details', { open }, el('summary', {}, 'Room permissions'), ...selects.map(s => s.node)));
}

export interface QueueActions { play(item: QueueItem, index: number): void; move(item: QueueItem, to: number): void; remove(item: QueueItem): void }

export function renderQueue(list: HTMLElement, queue: QueueItem[], canEdit: boolean, canControl: boolean, actions: QueueActions): void {
  if (queue.length === 0) {
    replaceChildren(list, el('li', { class: 'muted' }, 'The queue is empty.'));
    return;
  }
  replaceChildren(list, ...queue.map((item, index) => {
    const label = item.title || item.url;
    return el('li', { class: 'queue-item' },
      el('span', { class: 'queue-title', title: item.url }, label, item.durationMs ? ` · ${formatClock(item.durationMs)}` : ''),
      el('span', { class: 'row' },
        canControl && canEdit ? el('button', { type: 'button', class: 'small', 'aria-label': `Play ${label} now`, onclick: () => actions.play(item, index) }, '▶') : null,
        canEdit ? el('button', { type: 'button', class: 'small', disabled: index === 0, 'aria-label': `Move ${label} up`, onclick: () => actions.move(item, index - 1) }, '↑') : null,
        canEdit ? el('button', { type: 'button', class: 'small', disabled: index === queue.length - 1, 'aria-label': `Move ${label} down`, onclick: () => actions.move(item, index + 1) }, '↓') : null,
        canEdit ? el('button', { type: 'button', class: 'small', 'aria-label': `Remove ${label}`, onclick: () => actions.remove(item) }, '✕') : null));
  }));
}

export function chatLine(m: ChatMessage, youId: string | null): HTMLLIElement {
  const time = new Date(m.sentAt);
  return el('li', { class: `chat-line${m.userId === youId ? ' mine' : ''}`, 'data-id': m.id },
    el('span', { class: 'chat-author' }, m.displayName),
    el('time', { datetime: m.sentAt, class: 'muted' }, Number.isNaN(time.getTime()) ? '' : time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
    el('span', { class: 'chat-text' }, m.text));
}

export function floatReaction(layer: HTMLElement, symbol: string, who: string): void {
  const bubble = el('span', { class: 'reaction-float', style: `left:${10 + Math.random() * 75}%`, 'aria-hidden': 'true' }, emoji(symbol));
  bubble.title = who;
  layer.appendChild(bubble);
  setTimeout(() => bubble.remove(), 2500);
}

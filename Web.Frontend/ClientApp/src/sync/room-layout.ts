// The room's DOM: player with custom controls (every control is a real button, slider or select: keyboard accessible).
import { el, replaceChildren, toast } from '../ui';
import { emoji } from '../emoji';
import { errorMessage } from '../http';
import type { Room } from './api';
import type { Timeline } from './engine';

export interface RoomActions {
  togglePlay(): void;
  seek(ms: number): void;
  seekBy(deltaMs: number): void;
  setSpeed(speed: number): void;
  setOptOut(optOut: boolean): void;
  playUrl(url: string, title: string | null): void;
  enqueue(url: string, title: string | null): void;
  playNext(): void;
  sendChat(text: string): Promise<unknown>;
  react(emoji: string): void;
  toggleVoice(): void;
  toggleMute(): void;
  unlock(): void;
}

export interface RoomLayout {
  root: HTMLElement;
  video: HTMLVideoElement;
  title: HTMLElement;
  connection: HTMLElement;
  syncInfo: HTMLElement;
  time: HTMLElement;
  reactions: HTMLElement;
  members: HTMLUListElement;
  permissions: HTMLElement;
  queue: HTMLOListElement;
  chatList: HTMLOListElement;
  chatForm: HTMLFormElement;
  optOut: HTMLInputElement;
  unlockButton: HTMLButtonElement;
  setControlState(t: Timeline | null, canControl: boolean, canQueue: boolean): void;
  /** Why controls are disabled, next to them: null where this member may act. */
  setDeniedNotes(notes: { control: string | null; queue: string | null; chat: string | null }): void;
  setProgress(positionMs: number, durationMs: number | null): void;
  /** busy: joining or leaving is under way. summary: who is in voice and who this browser is connected with. */
  setVoiceState(active: boolean, busy: boolean, muted: boolean, summary: string): void;
}

const reactions = ['👍', '😂', '😮', '❤️', '🎉'];
const speeds = [0.5, 0.75, 1, 1.25, 1.5, 2];

export function buildRoomLayout(root: HTMLElement, room: Room, actions: RoomActions): RoomLayout {
  const video = el('video', { class: 'player', playsinline: true, preload: 'auto', 'aria-label': 'Room video' });
  video.muted = true;
  const reactionLayer = el('div', { class: 'reaction-layer', 'aria-hidden': 'true' });
  const unlockButton = el('button', { type: 'button', class: 'unlock primary', hidden: true, onclick: () => actions.unlock() }, '▶ Start playback');

  const playButton = el('button', { type: 'button', class: 'primary', id: 'play-toggle', onclick: () => actions.togglePlay() }, 'Play');
  const back = el('button', { type: 'button', 'aria-label': 'Back 10 seconds', onclick: () => actions.seekBy(-10_000) }, '−10 s');
  const forward = el('button', { type: 'button', 'aria-label': 'Forward 10 seconds', onclick: () => actions.seekBy(10_000) }, '+10 s');
  const seekBar = el('input', { type: 'range', id: 'seek', min: 0, max: 1000, step: 100, value: 0, 'aria-label': 'Position' });
  let dragging = false;
  seekBar.addEventListener('input', () => { dragging = true; });
  seekBar.addEventListener('change', () => { dragging = false; actions.seek(Number(seekBar.value)); });
  const speed = el('select', { id: 'speed', 'aria-label': 'Playback speed', onchange: () => actions.setSpeed(Number(speed.value)) },
    ...speeds.map(s => el('option', { value: s, selected: s === 1 }, `${s}×`)));
  const time = el('span', { class: 'time', 'aria-live': 'off' }, '0:00 / –');
  const optOut = el('input', { type: 'checkbox', id: 'opt-out', onchange: () => actions.setOptOut(optOut.checked) });

  const mediaUrl = el('input', { id: 'media-url', type: 'url', required: true, placeholder: 'https://…/video.mp4 (MP4, WebM or HLS .m3u8)', value: new URL('/media/test-pattern.webm', location.origin).href });
  const mediaTitle = el('input', { id: 'media-title', maxlength: 200, placeholder: 'Title (optional)' });
  const playNow = el('button', { type: 'submit', name: 'now' }, 'Play now');
  const addQueue = el('button', { type: 'button', onclick: () => mediaForm.reportValidity() && actions.enqueue(mediaUrl.value.trim(), mediaTitle.value.trim() || null) }, 'Add to queue');
  const nextButton = el('button', { type: 'button', onclick: () => actions.playNext() }, 'Play next in queue');
  const mediaForm = el('form', { class: 'media-form' },
    el('label', { for: 'media-url' }, 'Video URL'), mediaUrl,
    el('label', { for: 'media-title', class: 'visually-hidden' }, 'Title'), mediaTitle,
    el('div', { class: 'row' }, playNow, addQueue, nextButton));
  mediaForm.addEventListener('submit', e => {
    e.preventDefault();
    actions.playUrl(mediaUrl.value.trim(), mediaTitle.value.trim() || null);
  });

  const shareLink = new URL(`/watch/${encodeURIComponent(room.id)}`, location.origin).href;
  const shareInput = el('input', { id: 'share-link', readonly: true, value: shareLink, onfocus: () => shareInput.select() });
  const copy = el('button', { type: 'button', onclick: () => navigator.clipboard.writeText(shareLink).then(() => toast('Link copied.'), () => { shareInput.select(); toast('Press Ctrl+C to copy the selected link.'); }) }, 'Copy link');

  const chatList = el('ol', { class: 'chat-list', id: 'chat-list', 'aria-live': 'polite', 'aria-label': 'Chat messages', tabindex: 0 });
  const chatInput = el('input', { id: 'chat-input', maxlength: 1000, required: true, autocomplete: 'off', placeholder: 'Say something…' });
  const chatForm = el('form', { class: 'chat-form row' }, el('label', { for: 'chat-input', class: 'visually-hidden' }, 'Chat message'), chatInput,
    el('button', { type: 'submit' }, 'Send'));
  chatForm.addEventListener('submit', e => {
    e.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    actions.sendChat(text).then(() => { chatInput.value = ''; }, err => toast(errorMessage(err), 'error'));
  });
  const chatDenied = el('p', { class: 'muted denied', id: 'chat-denied', hidden: true });
  const controlDenied = el('p', { class: 'muted denied', id: 'control-denied', hidden: true });
  const queueDenied = el('p', { class: 'muted denied', id: 'queue-denied', hidden: true });
  const reactionBar = el('div', { class: 'row reactions', role: 'group', 'aria-label': 'Reactions' },
    ...reactions.map(r => el('button', { type: 'button', class: 'small', 'aria-label': `React ${r}`, onclick: () => actions.react(r) }, emoji(r))));

  const voiceButton = el('button', { type: 'button', id: 'voice-toggle', onclick: () => actions.toggleVoice() }, 'Join voice');
  const muteButton = el('button', { type: 'button', id: 'mute-toggle', hidden: true, 'aria-pressed': 'false', onclick: () => actions.toggleMute() }, 'Mute');
  const voiceInfo = el('span', { class: 'muted', id: 'voice-info', 'aria-live': 'polite' });

  const title = el('h1', { class: 'room-title' }, room.name);
  const connection = el('span', { class: 'connection', role: 'status' }, 'Connecting…');
  const syncInfo = el('span', { class: 'sync-info muted', id: 'sync-info' });
  const members = el('ul', { class: 'members', id: 'members', 'aria-label': 'Participants' });
  const permissions = el('div', { class: 'permissions' });
  const queue = el('ol', { class: 'queue', id: 'queue', 'aria-label': 'Queue' });

  const roomRoot = el('div', { class: 'room', 'aria-busy': 'true' },
    el('div', { class: 'room-head' }, title, connection,
      el('div', { class: 'share row' }, el('label', { for: 'share-link' }, 'Share'), shareInput, copy)),
    el('section', { class: 'stage', 'aria-label': 'Player' },
      el('div', { class: 'video-wrap' }, video, reactionLayer, unlockButton),
      el('div', { class: 'controls row' }, back, playButton, forward, seekBar, time,
        el('label', { for: 'speed', class: 'visually-hidden' }, 'Speed'), speed),
      controlDenied,
      el('div', { class: 'row small-print' }, syncInfo,
        el('label', { class: 'check' }, optOut, ' Don’t make the room wait for me')),
      mediaForm, queueDenied),
    el('aside', { class: 'side' },
      el('section', { 'aria-labelledby': 'people-h' }, el('h2', { id: 'people-h' }, 'People'), members, permissions,
        el('div', { class: 'row' }, voiceButton, muteButton, voiceInfo)),
      el('section', { 'aria-labelledby': 'queue-h' }, el('h2', { id: 'queue-h' }, 'Queue'), queue),
      el('section', { 'aria-labelledby': 'chat-h', class: 'chat' }, el('h2', { id: 'chat-h' }, 'Chat'), chatList, reactionBar, chatForm, chatDenied)));
  replaceChildren(root, roomRoot);

  const layout: RoomLayout = {
    root: roomRoot,
    video, title, connection, syncInfo, time, reactions: reactionLayer, members, permissions, queue, chatList, chatForm,
    optOut, unlockButton,
    setControlState(t, canControl, canQueue) {
      playButton.textContent = t?.playing ? 'Pause' : 'Play';
      playButton.setAttribute('aria-label', t?.playing ? 'Pause for everyone' : 'Play for everyone');
      for (const control of [playButton, back, forward, seekBar, speed, playNow, nextButton]) control.disabled = !canControl || (control !== playNow && !t?.mediaUrl);
      playNow.disabled = !canControl;
      addQueue.disabled = !canQueue;
      if (t) speed.value = String(t.speed);
    },
    setDeniedNotes(notes) {
      for (const [node, text] of [[controlDenied, notes.control], [queueDenied, notes.queue], [chatDenied, notes.chat]] as const) {
        node.textContent = text ?? '';
        node.hidden = text === null;
      }
    },
    setProgress(positionMs, durationMs) {
      if (durationMs) seekBar.max = String(Math.round(durationMs));
      if (!dragging && document.activeElement !== seekBar) seekBar.value = String(Math.round(positionMs));
      seekBar.setAttribute('aria-valuetext', time.textContent ?? '');
    },
    setVoiceState(active, busy, muted, summary) {
      voiceButton.disabled = busy;
      chatForm.querySelector('button')!.disabled = false;
      voiceButton.textContent = active ? 'Leave voice' : 'Join voice';
      muteButton.hidden = !active;
      muteButton.textContent = muted ? 'Unmute' : 'Mute';
      muteButton.setAttribute('aria-pressed', String(muted));
      voiceInfo.textContent = summary;
    },
  };
  // Nothing can be done before the room is joined.
  layout.setControlState(null, false, false);
  voiceButton.disabled = true;
  chatForm.querySelector('button')!.disabled = true;
  return layout;
}

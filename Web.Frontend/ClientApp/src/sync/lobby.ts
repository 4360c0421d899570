// SyncWatch start page: create a room, or open one from a share link.
import { el, replaceChildren, toast } from '../ui';
import { ApiError, errorMessage } from '../http';
import { navigate } from '../main';
import { createSession, forgetSession, rooms, savedSession, type Session } from './api';

export function mountLobby(root: HTMLElement): () => void {
  const session = savedSession();
  const nameInput = el('input', { id: 'display-name', name: 'displayName', required: true, maxlength: 40, autocomplete: 'nickname', value: session?.displayName ?? '' });
  const roomInput = el('input', { id: 'room-name', name: 'roomName', required: true, maxlength: 80, value: 'Movie night' });
  const passwordInput = el('input', { id: 'room-password', name: 'password', type: 'password', maxlength: 100, autocomplete: 'new-password' });
  const createButton = el('button', { type: 'submit', class: 'primary' }, 'Create room');
  const createForm = el('form', { class: 'stack', 'aria-labelledby': 'create-heading' },
    el('h2', { id: 'create-heading' }, 'Create a room'),
    el('label', { for: 'display-name' }, 'Your display name'), nameInput,
    el('label', { for: 'room-name' }, 'Room name'), roomInput,
    el('label', { for: 'room-password' }, 'Password (optional)'), passwordInput,
    createButton);

  createForm.addEventListener('submit', async event => {
    event.preventDefault();
    createButton.disabled = true;
    try {
      const name = nameInput.value.trim();
      const current = savedSession();
      const password = passwordInput.value || null;
      const create = (s: Session) => rooms.create(s.token, roomInput.value.trim(), password);
      let room;
      try {
        room = await create(current && current.displayName === name ? current : await createSession(name));
      } catch (e) {
        // The saved guest session has ended: a new room has nothing to lose by a new guest, so start one and go on.
        if (!(e instanceof ApiError && e.status === 401)) throw e;
        forgetSession();
        room = await create(await createSession(name));
        toast('Your guest session had expired; you continue as a new guest.');
      }
      if (password) sessionStorage.setItem(`syncwatch.password.${room.id}`, password);
      navigate(`/watch/${encodeURIComponent(room.id)}`);
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      createButton.disabled = false;
    }
  });

  const linkInput = el('input', { id: 'room-link', name: 'link', required: true, placeholder: 'https://…/watch/abc123 or abc123' });
  const joinForm = el('form', { class: 'stack', 'aria-labelledby': 'join-heading' },
    el('h2', { id: 'join-heading' }, 'Join with a link'),
    el('label', { for: 'room-link' }, 'Share link or room id'), linkInput,
    el('button', { type: 'submit' }, 'Open room'));
  joinForm.addEventListener('submit', event => {
    event.preventDefault();
    const value = linkInput.value.trim();
    const match = /\/watch\/([^/?#]+)/.exec(value);
    navigate(`/watch/${match ? match[1] : encodeURIComponent(value)}`);
  });

  replaceChildren(root,
    el('h1', {}, 'SyncWatch'),
    el('p', { class: 'muted' }, 'Everyone in a room sees the same moment of the same video.'),
    el('div', { class: 'cards' }, el('section', { class: 'card' }, createForm), el('section', { class: 'card' }, joinForm)));
  return () => {};
}

// The room's join form: a display name (and the room's password), then a guest session that joins the room.
import { el, replaceChildren } from '../ui';
import { ApiError, errorMessage } from '../http';
import { createSession, forgetSession, savedSession, type Room, type Session } from './api';

/** Joins the room with this session (and password) and shows it; throws when the room refuses. */
export type StartRoom = (session: Session, password: string | null) => Promise<void>;

export const guestSessionEndedText = 'Your guest session has expired. Join again to continue as a new guest.';

export function renderJoinForm(root: HTMLElement, room: Room, start: StartRoom, notice: string | null = null): void {
  const existing = savedSession();
  const name = el('input', { id: 'join-name', required: true, maxlength: 40, autocomplete: 'nickname', value: existing?.displayName ?? '' });
  const password = room.hasPassword ? el('input', { id: 'join-password', type: 'password', required: true, autocomplete: 'current-password' }) : null;
  const button = el('button', { type: 'submit', class: 'primary' }, 'Join room');
  const error = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'stack card narrow' },
    el('h1', {}, `Join “${room.name}”`),
    notice ? el('p', { class: 'banner', id: 'session-ended', role: 'alert' }, notice) : null,
    el('label', { for: 'join-name' }, 'Your display name'), name,
    password ? el('label', { for: 'join-password' }, 'Room password') : null, password,
    button, error);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = '';
    try {
      const current = savedSession();
      const session = current && current.displayName === name.value.trim() ? current : await createSession(name.value.trim());
      try {
        await start(session, password?.value ?? null);
      } catch (e) {
        // The saved session ended meanwhile: the person asked to join, so join as the new guest they would become.
        if (!(e instanceof ApiError && e.status === 401) || session !== current) throw e;
        forgetSession();
        await start(await createSession(name.value.trim()), password?.value ?? null);
      }
    } catch (e) {
      error.textContent = e instanceof ApiError && e.code === 'wrong_password' ? 'That password is not right.' : errorMessage(e);
    } finally {
      button.disabled = false;
    }
  });
  replaceChildren(root, form);
  name.focus();
}

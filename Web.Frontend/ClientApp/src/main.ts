import './styles.css';
import { el, replaceChildren } from './ui';

type Unmount = () => void;
type Page = (root: HTMLElement, params: Record<string, string>) => Unmount | Promise<Unmount>;

// Pages load on demand: the betting page's chart and wallet code never slow down the watch page, and the reverse.
const routes: { pattern: RegExp; title: string; load: () => Promise<Page> }[] = [
  { pattern: /^\/$/, title: 'Platform', load: async () => homePage },
  { pattern: /^\/watch\/?$/, title: 'SyncWatch', load: async () => (await import('./sync/lobby')).mountLobby },
  { pattern: /^\/watch\/(?<roomId>[^/]+)\/?$/, title: 'SyncWatch room', load: async () => (await import('./sync/room-page')).mountRoom },
  { pattern: /^\/bets\/?$/, title: 'BTC grid', load: async () => (await import('./bets/page')).mountBets },
];

let unmount: Unmount | null = null;
let navigation = 0;

async function render(): Promise<void> {
  const current = ++navigation;
  unmount?.();
  unmount = null;
  const root = document.getElementById('main')!;
  const path = location.pathname;
  const route = routes.find(r => r.pattern.test(path));
  if (!route) {
    document.title = 'Not found · Platform';
    replaceChildren(root, el('section', { class: 'card' }, el('h1', {}, 'Page not found'), el('p', {}, el('a', { href: '/', 'data-link': true }, 'Go home'))));
    return;
  }
  document.title = route.title === 'Platform' ? 'Platform' : `${route.title} · Platform`;
  const params = (route.pattern.exec(path)?.groups ?? {}) as Record<string, string>;
  root.replaceChildren();
  const page = await route.load();
  if (current !== navigation) return;
  const result = await page(root, params);
  if (current !== navigation) {
    result();
    return;
  }
  unmount = result;
  for (const nav of document.querySelectorAll<HTMLAnchorElement>('.topbar nav a')) {
    nav.toggleAttribute('aria-current', path.startsWith(nav.pathname));
  }
}

export function navigate(path: string): void {
  history.pushState(null, '', path);
  void render();
}

document.addEventListener('click', event => {
  const link = (event.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || link.origin !== location.origin) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener('popstate', () => void render());

function homePage(root: HTMLElement): Unmount {
  replaceChildren(root,
    el('section', { class: 'hero' },
      el('h1', {}, 'Platform'),
      el('p', {}, 'Two products on one shared infrastructure.')),
    el('div', { class: 'cards' },
      el('a', { class: 'card card-link', href: '/watch', 'data-link': true },
        el('h2', {}, 'SyncWatch'),
        el('p', {}, 'Watch videos together: one timeline for the whole room, chat, reactions and voice.')),
      el('a', { class: 'card card-link', href: '/bets', 'data-link': true },
        el('h2', {}, 'BTC grid'),
        el('p', {}, 'Bet on where the Bitcoin price will touch, cell by cell, signed in with your wallet.'))));
  return () => {};
}

void render();

// Everything that talks to Bets.Api (through /api/bets and /ws/prices on this host).
import { request } from '../http';

export interface NonceResponse { nonce: string; expiresAt: string }
export interface BetsSession { token: string; wallet: string; expiresAt: string }
export interface GridCell {
  band: number; priceLow: number; priceHigh: number; windowStart: number; windowEnd: number;
  probability: number; multiplier: number; bettable: boolean; reason: string | null;
}
export interface GridSnapshot {
  price: number; priceTimestamp: number; computedAt: number; annualVolatility: number; houseEdge: number;
  bandWidth: number; windowSeconds: number; cells: GridCell[];
}
export interface Bet {
  id: string; wallet: string; band: number; priceLow: number; priceHigh: number; windowStart: number; windowEnd: number;
  stake: number; multiplier: number; potentialPayout: number; probability: number; priceAtPlacement: number;
  status: 'open' | 'won' | 'lost' | 'void' | string; payout: number | null; evidence: string | null; createdAt: number; resolvedAt: number | null;
}
export interface Balance { wallet: string; balance: number; dailyLimit: number | null; excludedUntil: string | null }
/** sources: the names of the venues behind the price (sim-1… for the simulated feed). */
export interface PriceMessage { price: number; timestamp: number; status: string; sources: string[] }
export interface PricePoint { timestamp: number; price: number }

const api = '/api/bets';
const sessionKey = 'bets.session';

export function savedBetsSession(): BetsSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(sessionKey) ?? 'null') as BetsSession | null;
    return s && new Date(s.expiresAt).getTime() > Date.now() ? s : null;
  } catch {
    return null;
  }
}

export const auth = {
  nonce: () => request<NonceResponse>(`${api}/auth/nonce`),
  verify: async (message: string, signature: string) => {
    const session = await request<BetsSession>(`${api}/auth/verify`, { json: { message, signature } });
    localStorage.setItem(sessionKey, JSON.stringify(session));
    return session;
  },
  logout: async (token: string) => {
    localStorage.removeItem(sessionKey);
    await request<void>(`${api}/auth/logout`, { token, method: 'POST' }).catch(() => undefined);
  },
  forget: () => localStorage.removeItem(sessionKey),
};

export const betsApi = {
  grid: (signal?: AbortSignal) => request<GridSnapshot>(`${api}/grid`, { signal }),
  place: (token: string, idempotencyKey: string, band: number, windowStart: number, stake: number) =>
    request<{ bet: Bet; balance: number }>(`${api}/bets`, { token, json: { band, windowStart, stake }, headers: { 'Idempotency-Key': idempotencyKey } }),
  list: (token: string) => request<Bet[]>(`${api}/bets`, { token }),
  balance: (token: string) => request<Balance>(`${api}/balance`, { token }),
  setDailyLimit: (token: string, dailyLimit: number | null) => request<void>(`${api}/wallet/daily-limit`, { token, method: 'PUT', json: { dailyLimit } }),
  selfExclude: (token: string, days: number) => request<Balance>(`${api}/wallet/self-exclusion`, { token, json: { days } }),
  faucet: (token: string) => request<Balance>(`${api}/wallet/faucet`, { token, method: 'POST' }),
  /** Recent prices from the history, one per second. */
  history: (minutes: number) => request<PricePoint[]>(`${api}/prices/history?minutes=${minutes}`),
};

/** Parses one /ws/prices message ({"price":"<decimal>"|number,"timestamp":ms,"status":"ok"|"stale","sources":[{"name"}…]}); null when malformed. */
export function parsePrice(data: unknown): PriceMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const raw = JSON.parse(data) as { price?: unknown; timestamp?: unknown; status?: unknown; sources?: unknown };
    const price = typeof raw.price === 'string' ? Number(raw.price) : raw.price;
    if (typeof price !== 'number' || !Number.isFinite(price) || typeof raw.timestamp !== 'number') return null;
    const sources = Array.isArray(raw.sources)
      ? raw.sources.map(s => (s as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string')
      : [];
    return { price, timestamp: raw.timestamp, status: typeof raw.status === 'string' ? raw.status : 'ok', sources };
  } catch {
    return null;
  }
}

/** The price stream, reconnecting with backoff; onState tells the page when the socket is up or down. */
export class PriceStream {
  private socket: WebSocket | null = null;
  private closed = false;
  private attempt = 0;
  private retry: number | undefined;

  constructor(private readonly onPrice: (p: PriceMessage) => void, private readonly onState: (open: boolean) => void) {
    this.open();
  }

  private open(): void {
    const url = new URL('/ws/prices', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => { this.attempt = 0; this.onState(true); };
    socket.onmessage = e => { const p = parsePrice(e.data); if (p) this.onPrice(p); };
    socket.onclose = () => {
      this.onState(false);
      if (this.closed) return;
      this.retry = window.setTimeout(() => this.open(), Math.min(10_000, 500 * 2 ** Math.min(this.attempt++, 5)));
    };
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.retry);
    this.socket?.close();
  }
}

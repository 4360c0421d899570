// BTC grid betting: wallet sign-in, live chart, the grid, placing bets, balance, my bets, limits.
import { createChart, LineSeries, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { el, formatUsd, replaceChildren, toast } from '../ui';
import { ApiError, errorMessage } from '../http';
import { auth, betsApi, PriceStream, savedBetsSession, type Bet, type BetsSession, type GridCell, type GridSnapshot, type PriceMessage, type PricePoint } from './api';
import { connectInjected, developmentWallet, injectedProvider, siweMessage, type SignerChoice } from './wallet';
import { cellKey, describeCell, renderGrid } from './grid-view';
import { feedNote } from './feed';
import { chartPoints } from './history';
import { refusalOf, stillApplies, type Refusal } from './refusals';
import { clockTime } from './windows';

const staleAfterMs = 10_000;
/** Shown in the sign-in card when Bets.Api no longer knows the session (expired, signed out elsewhere, evicted from Redis). */
const sessionEndedText = 'Your session has expired. Sign in again to keep betting.';
const chainId = 1;
/** How much price history the chart opens with. */
const historyMinutes = 15;

export function mountBets(root: HTMLElement): () => void {
  const page = new BetsPage(root);
  return () => page.dispose();
}

class BetsPage {
  private session: BetsSession | null = savedBetsSession();
  private grid: GridSnapshot | null = null;
  private lastPrice: PriceMessage | null = null;
  private feedOpen = false;
  private gridUnavailable = false;
  private selected: GridCell | null = null;
  private attemptKey = crypto.randomUUID();
  private gridFetchedAt = 0;
  private gridInFlight = false;
  private lastChartTime = 0;
  /** Prices streamed before the history arrived; null once the chart holds the history. */
  private early: PricePoint[] | null = [];
  private balance: number | null = null;
  private refusal: Refusal | null = null;
  /** Why the page is back at sign-in, when the user did not sign out. */
  private signedOutNotice: string | null = null;
  private readonly timers: number[] = [];
  private readonly stream: PriceStream;
  private readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Line'>;

  private readonly account = el('section', { class: 'card account', 'aria-labelledby': 'account-h' });
  private readonly banner = el('div', { class: 'banner stale', role: 'alert', hidden: true });
  private readonly priceLabel = el('p', { class: 'price', 'aria-live': 'off' }, '–');
  private readonly feedNote = el('p', { class: 'feed-note', id: 'feed-note', hidden: true });
  private readonly chartHost = el('div', { class: 'chart', role: 'img', 'aria-label': 'BTC/USD price chart' });
  private readonly gridTable = el('table', { class: 'grid', id: 'grid' });
  private readonly selection = el('p', { id: 'selection' }, 'Pick a cell in the grid.');
  private readonly stake = el('input', { id: 'stake', type: 'number', min: 0.01, step: 0.01, value: '5.00', inputmode: 'decimal', required: true });
  private readonly placeButton = el('button', { type: 'submit', class: 'primary', id: 'place-bet' }, 'Place bet');
  private readonly betError = el('p', { class: 'error', id: 'bet-error', role: 'alert' });
  private readonly betsBody = el('tbody', {});
  private readonly limits = el('section', { class: 'card', 'aria-labelledby': 'limits-h' });

  constructor(private readonly root: HTMLElement) {
    const betForm = el('form', { class: 'stack', id: 'bet-form' },
      this.selection,
      el('label', { for: 'stake' }, 'Stake (USD)'), this.stake,
      this.placeButton, this.betError);
    betForm.addEventListener('submit', e => { e.preventDefault(); void this.place(); });
    this.stake.addEventListener('input', () => { this.attemptKey = crypto.randomUUID(); this.renderRefusal(); });

    replaceChildren(root, el('div', { class: 'bets' },
      el('h1', {}, 'BTC grid'),
      this.account,
      this.banner,
      el('section', { class: 'card market', 'aria-labelledby': 'market-h' },
        el('div', { class: 'row spread' }, el('h2', { id: 'market-h' }, 'BTC / USD'), this.priceLabel),
        this.feedNote,
        this.chartHost),
      el('section', { class: 'card', 'aria-labelledby': 'grid-h' },
        el('h2', { id: 'grid-h' }, 'Grid'),
        el('p', { class: 'muted' }, 'A cell wins when the price touches its band during its time window. Multipliers move with the price.'),
        el('div', { class: 'grid-scroll', tabindex: 0, role: 'region', 'aria-label': 'Betting grid' }, this.gridTable),
        betForm),
      el('section', { class: 'card', 'aria-labelledby': 'mybets-h' },
        el('h2', { id: 'mybets-h' }, 'My bets'),
        el('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'My bets' },
          el('table', { class: 'bets-table', id: 'my-bets' },
            el('thead', {}, el('tr', {}, ...['Band', 'Window', 'Stake', 'Multiplier', 'Status', 'Payout'].map(h => el('th', { scope: 'col' }, h)))),
            this.betsBody))),
      this.limits));

    this.chart = createChart(this.chartHost, {
      autoSize: true, height: 260,
      layout: { background: { color: 'transparent' }, textColor: '#c9d1d9' },
      grid: { vertLines: { color: 'rgba(128,128,128,0.15)' }, horzLines: { color: 'rgba(128,128,128,0.15)' } },
      timeScale: { timeVisible: true, secondsVisible: true },
    });
    this.series = this.chart.addSeries(LineSeries, { color: '#f7931a', lineWidth: 2 });
    this.stream = new PriceStream(p => this.onPrice(p), open => { this.feedOpen = open; this.renderStale(); });
    this.timers.push(window.setInterval(() => { this.renderStale(); void this.refreshGrid(false); }, 1000));
    this.timers.push(window.setInterval(() => void this.refreshAccount(), 5000));
    this.renderAccount();
    this.renderLimits();
    void this.loadHistory();
    void this.refreshGrid(true);
    void this.refreshAccount();
    (window as unknown as Record<string, unknown>).betsChart = () => {
      const data = this.series.data();
      return { points: data.length, firstTime: data.length ? Number(data[0].time) : null, lastTime: data.length ? Number(data[data.length - 1].time) : null };
    };
  }

  /** The chart opens on the last minutes of the history, so it has a shape before the first tick arrives. */
  private async loadHistory(): Promise<void> {
    let history: PricePoint[] = [];
    try {
      history = await betsApi.history(historyMinutes);
    } catch {
      // The live prices still draw the chart from now on.
    }
    const points = chartPoints(history, this.early ?? []);
    this.early = null;
    this.series.setData(points.map(p => ({ time: p.time as UTCTimestamp, value: p.value })));
    this.lastChartTime = points.length ? points[points.length - 1].time : 0;
  }

  private get paused(): boolean {
    const p = this.lastPrice;
    return !this.feedOpen || this.gridUnavailable || p === null || p.status !== 'ok' || Date.now() - p.timestamp > staleAfterMs;
  }

  private onPrice(p: PriceMessage): void {
    this.lastPrice = p;
    this.priceLabel.textContent = p.price.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
    this.feedNote.textContent = feedNote(p.sources) ?? '';
    this.feedNote.hidden = this.feedNote.textContent === '';
    const time = Math.floor(p.timestamp / 1000);
    if (this.early) {
      this.early.push({ timestamp: p.timestamp, price: p.price });
    } else if (time >= this.lastChartTime) {
      this.lastChartTime = time;
      this.series.update({ time: time as UTCTimestamp, value: p.price });
    }
    this.renderStale();
    void this.refreshGrid(false);
  }

  private async refreshGrid(force: boolean): Promise<void> {
    if (this.gridInFlight || (!force && Date.now() - this.gridFetchedAt < 1000)) return;
    this.gridInFlight = true;
    try {
      this.grid = await betsApi.grid();
      this.gridUnavailable = false;
      this.gridFetchedAt = Date.now();
      if (this.selected) this.selected = this.grid.cells.find(c => cellKey(c) === cellKey(this.selected!)) ?? null;
      this.renderGrid();
    } catch (e) {
      this.gridUnavailable = e instanceof ApiError && e.status === 503;
      this.gridFetchedAt = Date.now();
      if (!this.gridUnavailable) toast(`Grid: ${errorMessage(e)}`, 'error');
    } finally {
      this.gridInFlight = false;
      this.renderStale();
    }
  }

  private renderGrid(): void {
    if (!this.grid) return;
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.cell;
    renderGrid(this.gridTable, this.grid, this.selected ? cellKey(this.selected) : null, this.paused, Date.now(), c => this.pick(c));
    if (focused) this.gridTable.querySelector<HTMLButtonElement>(`[data-cell="${focused}"]`)?.focus();
    this.selection.textContent = this.selected ? describeCell(this.selected, Date.now()) : 'Pick a cell in the grid.';
    this.renderRefusal();
  }

  private pick(cell: GridCell): void {
    this.selected = cell;
    this.attemptKey = crypto.randomUUID();
    this.renderGrid();
  }

  private stakeCents(): number | null {
    const stake = Math.round(Number(this.stake.value) * 100);
    return Number.isFinite(stake) && stake > 0 ? stake : null;
  }

  /** Shows the last refusal only while its reason holds: a bet that would now go through carries no old "refused". */
  private renderRefusal(): void {
    const r = this.refusal;
    const holds = r !== null && stillApplies(r, {
      stake: this.stakeCents(), cell: this.selected ? cellKey(this.selected) : null, balance: this.balance,
      feedFresh: !this.paused, signedIn: this.session !== null, now: Date.now(),
    });
    if (!holds) this.refusal = null;
    this.betError.textContent = holds ? `Bet refused: ${r.message}` : '';
  }

  private refuse(refusal: Refusal | null): void {
    this.refusal = refusal;
    this.renderRefusal();
  }

  private renderStale(): void {
    const paused = this.paused;
    const reason = !this.feedOpen ? 'The price stream is disconnected; reconnecting…'
      : this.lastPrice === null || this.gridUnavailable ? 'Waiting for the first price…'
      : 'The price feed is stale.';
    this.banner.hidden = !paused;
    this.banner.textContent = paused ? `${reason} Betting is paused until fresh prices arrive.` : '';
    this.placeButton.disabled = paused || !this.session;
    for (const b of this.gridTable.querySelectorAll<HTMLButtonElement>('button.cell')) {
      b.disabled = paused || b.classList.contains('closed');
    }
    this.renderRefusal();
  }

  private async place(): Promise<void> {
    this.refuse(null);
    if (!this.session) return this.refuse({ message: 'Sign in with your wallet first.', lifted: { when: 'signed-in' } });
    if (!this.selected) return this.refuse({ message: 'Pick a cell in the grid first.', lifted: { when: 'cell-picked' } });
    const stake = this.stakeCents();
    if (stake === null) return this.refuse({ message: 'Enter a stake in USD, for example 5.00.', lifted: { when: 'stake-entered' } });
    const attempt = { stake, cell: cellKey(this.selected) };
    this.placeButton.disabled = true;
    try {
      // The key names this attempt: a retry after a network error cannot place the bet twice.
      const result = await betsApi.place(this.session.token, this.attemptKey, this.selected.band, this.selected.windowStart, stake);
      this.attemptKey = crypto.randomUUID();
      toast(`Bet placed: ${formatUsd(result.bet.stake)} at ×${result.bet.multiplier.toFixed(2)}.`);
      this.setBalance(result.balance);
      await this.refreshAccount();
    } catch (e) {
      this.endedSession(e);
      this.refuse(e instanceof ApiError
        ? refusalOf({ status: e.status, type: e.type, message: e.message, retryAfterSeconds: e.retryAfterSeconds, facts: e.facts }, attempt, Date.now())
        : { message: errorMessage(e), lifted: { when: 'another-cell-or-stake', ...attempt } });
    } finally {
      this.renderStale();
    }
  }

  private balanceLabel = el('strong', { id: 'balance' }, '–');

  private setBalance(minor: number): void {
    this.balance = minor;
    this.balanceLabel.textContent = formatUsd(minor);
    this.renderRefusal();
  }

  private async refreshAccount(): Promise<void> {
    if (!this.session) return;
    try {
      const [balance, bets] = await Promise.all([betsApi.balance(this.session.token), betsApi.list(this.session.token)]);
      this.setBalance(balance.balance);
      this.renderBets(bets);
      this.renderLimits(balance.dailyLimit, balance.excludedUntil);
    } catch (e) {
      if (!this.endedSession(e)) toast(errorMessage(e), 'error');
    }
  }

  private renderBets(bets: Bet[]): void {
    if (bets.length === 0) {
      replaceChildren(this.betsBody, el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No bets yet.')));
      return;
    }
    replaceChildren(this.betsBody, ...bets.slice(0, 50).map(b => el('tr', { class: `bet-${b.status}` },
      el('td', {}, `${b.priceLow.toLocaleString('en-US')} – ${b.priceHigh.toLocaleString('en-US')}`),
      el('td', {}, `${clockTime(b.windowStart)} – ${clockTime(b.windowEnd)}`),
      el('td', {}, formatUsd(b.stake)),
      el('td', {}, `×${b.multiplier.toFixed(2)}`),
      el('td', {}, el('span', { class: `badge status-${b.status}` }, b.status)),
      el('td', {}, b.payout === null ? `(${formatUsd(b.potentialPayout)} if won)` : formatUsd(b.payout)))));
  }

  private renderAccount(): void {
    if (this.session) {
      const signOut = el('button', { type: 'button', onclick: () => void this.signOut() }, 'Sign out');
      const faucet = el('button', { type: 'button', id: 'faucet', onclick: () => void this.faucet() }, 'Get test funds');
      replaceChildren(this.account,
        el('h2', { id: 'account-h' }, 'Wallet'),
        el('p', {}, el('span', { class: 'mono', title: this.session.wallet }, shortAddress(this.session.wallet)), ' · Balance ', this.balanceLabel),
        el('div', { class: 'row' }, faucet, signOut));
      return;
    }
    const injected = injectedProvider();
    const error = el('p', { class: 'error', role: 'alert' });
    const go = (choice: () => Promise<SignerChoice>) => async () => {
      error.textContent = '';
      try {
        await this.signIn(await choice());
      } catch (e) {
        error.textContent = `Sign-in failed: ${errorMessage(e)}`;
      }
    };
    replaceChildren(this.account,
      el('h2', { id: 'account-h' }, 'Sign in with Ethereum'),
      this.signedOutNotice ? el('p', { class: 'banner', id: 'signed-out', role: 'alert' }, this.signedOutNotice) : null,
      injected ? el('button', { type: 'button', class: 'primary', onclick: go(() => connectInjected(injected)) }, 'Connect browser wallet') : null,
      el('div', { class: 'dev-wallet' },
        el('button', { type: 'button', id: 'dev-wallet', onclick: go(async () => developmentWallet(chainId)) }, 'Use development wallet'),
        el('p', { class: 'warning' }, '⚠ Development wallet: its private key is generated and stored in this browser’s localStorage. For local testing only — never send real funds to it.')),
      error);
  }

  private async signIn(signer: SignerChoice): Promise<void> {
    const { nonce } = await auth.nonce();
    const message = siweMessage(signer.address, signer.chainId, nonce, new Date(), 'Sign in to the BTC grid.');
    const signature = await signer.sign(message);
    this.session = await auth.verify(message, signature);
    this.signedOutNotice = null;
    toast(`Signed in as ${shortAddress(this.session.wallet)}${signer.kind === 'development' ? ' (development wallet)' : ''}.`);
    this.renderAccount();
    this.renderStale();
    await this.refreshAccount();
  }

  private async faucet(): Promise<void> {
    if (!this.session) return;
    try {
      this.setBalance((await betsApi.faucet(this.session.token)).balance);
    } catch (e) {
      if (this.endedSession(e)) return;
      toast(e instanceof ApiError && e.status === 404 ? 'Test funds are only available in development.' : errorMessage(e), 'error');
    }
  }

  private async signOut(): Promise<void> {
    if (this.session) await auth.logout(this.session.token);
    this.signedOut();
  }

  /** A 401 on a call with the token: the session is gone, so the page goes back to sign-in and says why. */
  private endedSession(e: unknown): boolean {
    if (!(e instanceof ApiError) || e.status !== 401) return false;
    if (this.session) this.signedOut(sessionEndedText);
    return true;
  }

  private signedOut(notice: string | null = null): void {
    this.signedOutNotice = notice;
    auth.forget();
    this.session = null;
    this.renderAccount();
    this.renderLimits();
    replaceChildren(this.betsBody);
    this.renderStale();
  }

  private renderLimits(dailyLimit: number | null = null, excludedUntil: string | null = null): void {
    if (!this.session) {
      replaceChildren(this.limits);
      return;
    }
    if (this.limits.contains(document.activeElement)) return; // do not pull the form from under the user
    const limitInput = el('input', { id: 'daily-limit', type: 'number', min: 0, step: 1, inputmode: 'numeric', value: dailyLimit === null ? '' : String(dailyLimit / 100), placeholder: 'No limit' });
    const limitForm = el('form', { class: 'stack' }, el('label', { for: 'daily-limit' }, 'Daily stake limit (USD, empty for none)'), limitInput,
      el('button', { type: 'submit' }, 'Save limit'));
    limitForm.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        await betsApi.setDailyLimit(this.session!.token, limitInput.value === '' ? null : Math.round(Number(limitInput.value) * 100));
        toast('Daily limit saved.');
      } catch (err) {
        if (!this.endedSession(err)) toast(errorMessage(err), 'error');
      }
    });
    const days = el('select', { id: 'exclusion-days' }, ...[1, 7, 30, 180, 365].map(d => el('option', { value: d }, `${d} day${d > 1 ? 's' : ''}`)));
    const excludeForm = el('form', { class: 'stack' }, el('label', { for: 'exclusion-days' }, 'Take a break: no betting for'), days,
      el('button', { type: 'submit', class: 'danger' }, 'Exclude me'));
    excludeForm.addEventListener('submit', async e => {
      e.preventDefault();
      if (!confirm(`You will not be able to bet for ${days.value} day(s), and this cannot be shortened. Continue?`)) return;
      try {
        const b = await betsApi.selfExclude(this.session!.token, Number(days.value));
        toast('Self-exclusion is on.');
        this.renderLimits(b.dailyLimit, b.excludedUntil);
      } catch (err) {
        if (!this.endedSession(err)) toast(errorMessage(err), 'error');
      }
    });
    const excluded = excludedUntil && new Date(excludedUntil).getTime() > Date.now()
      ? el('p', { class: 'banner' }, `Self-excluded until ${new Date(excludedUntil).toLocaleString()}.`) : null;
    replaceChildren(this.limits, el('h2', { id: 'limits-h' }, 'Limits and self-exclusion'), excluded,
      el('div', { class: 'cards' }, limitForm, excludeForm));
  }

  dispose(): void {
    for (const t of this.timers) window.clearInterval(t);
    this.stream.close();
    this.chart.remove();
    delete (window as unknown as Record<string, unknown>).betsChart;
    replaceChildren(this.root);
  }
}

function shortAddress(a: string): string { return `${a.slice(0, 6)}…${a.slice(-4)}`; }

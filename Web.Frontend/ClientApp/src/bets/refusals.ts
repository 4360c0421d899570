// Why a bet was refused, in dollars, and when that reason stops applying (pure: node tests import it).
// Bets.Api counts money in cents and gives the amounts behind a refusal as members of its problem details (minStake,
// maxStake, neededCents, balanceCents, limitCents, stakedTodayCents, remainingCents); a person reads dollars. Each refusal also
// says what would lift it (a stake in bounds, enough balance, another cell, a fresh price…), so the page can take the
// message away as soon as it no longer holds instead of leaving a stale "refused" under a bet that would now go through.

export interface Problem {
  status: number; type: string | null; message: string; retryAfterSeconds: number | null;
  /** The problem's members beyond the standard ones: the refusal's facts, amounts in cents. */
  facts?: Readonly<Record<string, unknown>>;
}
/** What was sent: the stake in cents and the cell's key. */
export interface Attempt { stake: number; cell: string }
/** The page now: stake in cents (null when the input is not a stake), picked cell, balance in cents. */
export interface PageState { stake: number | null; cell: string | null; balance: number | null; feedFresh: boolean; signedIn: boolean; now: number }

export type Lifted =
  | { when: 'stake-in-bounds'; min: number; max: number }
  | { when: 'balance-covers-stake' }
  | { when: 'stake-at-most'; max: number }
  | { when: 'another-cell'; cell: string }
  | { when: 'another-cell-or-stake'; cell: string; stake: number }
  | { when: 'fresh-price' }
  | { when: 'after'; at: number }
  | { when: 'signed-in' }
  | { when: 'cell-picked' }
  | { when: 'stake-entered' };

export interface Refusal { message: string; lifted: Lifted }

export const usd = (cents: number) => (cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' });

/** An amount in cents from the problem's facts; undefined when the API did not give it. */
const cents = (problem: Problem, name: string): number | undefined => {
  const value = problem.facts?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/** The refusal of a placement, worded in dollars where Bets.Api gave cents. */
export function refusalOf(problem: Problem, attempt: Attempt, now: number): Refusal {
  const kind = problem.type?.split('/').pop()?.split('#')[0] ?? '';
  const text = problem.message;
  if (problem.status === 401) return { message: 'Your session has ended. Sign in again.', lifted: { when: 'signed-in' } };
  switch (kind) {
    case 'stake-out-of-bounds': {
      const min = cents(problem, 'minStake'), max = cents(problem, 'maxStake');
      if (min !== undefined && max !== undefined) {
        return { message: `The stake must be between ${usd(min)} and ${usd(max)}.`, lifted: { when: 'stake-in-bounds', min, max } };
      }
      break;
    }
    case 'insufficient-balance': {
      const needed = cents(problem, 'neededCents') ?? attempt.stake, balance = cents(problem, 'balanceCents');
      const detail = balance !== undefined
        ? `The stake of ${usd(needed)} is more than your balance of ${usd(balance)}.`
        : `The stake of ${usd(needed)} is more than your balance.`;
      return { message: detail, lifted: { when: 'balance-covers-stake' } };
    }
    case 'daily-limit': {
      const limit = cents(problem, 'limitCents'), today = cents(problem, 'stakedTodayCents');
      if (limit !== undefined && today !== undefined) {
        const headroom = limit - today;
        return {
          message: `This stake would bring today's stakes to ${usd(today + attempt.stake)}, over your daily limit of ${usd(limit)} (days are UTC). ` +
            (headroom > 0 ? `You can still stake ${usd(headroom)} today.` : 'No more stakes today.'),
          lifted: { when: 'stake-at-most', max: Math.max(0, headroom) },
        };
      }
      break;
    }
    case 'exposure-cap': {
      const room = cents(problem, 'remainingCents');
      if (room !== undefined) {
        return {
          message: `This cell is full: at most ${usd(room)} more can be paid out on it. Pick another cell or lower the stake.`,
          lifted: { when: 'another-cell-or-stake', cell: attempt.cell, stake: attempt.stake },
        };
      }
      break;
    }
    case 'cell-too-soon':
    case 'cell-in-past':
    case 'cell-not-on-grid':
    case 'cell-no-value':
      return { message: text, lifted: { when: 'another-cell', cell: attempt.cell } };
    case 'stale-price':
    case 'unavailable':
      return { message: text, lifted: { when: 'fresh-price' } };
    case 'rate-limited':
      return { message: text, lifted: { when: 'after', at: now + (problem.retryAfterSeconds ?? 1) * 1000 } };
  }
  return { message: text, lifted: { when: 'another-cell-or-stake', cell: attempt.cell, stake: attempt.stake } };
}

/** Whether the reason still holds for what the page shows now. */
export function stillApplies(r: Refusal, s: PageState): boolean {
  const l = r.lifted;
  switch (l.when) {
    case 'stake-in-bounds': return s.stake === null || s.stake < l.min || s.stake > l.max;
    case 'balance-covers-stake': return s.stake === null || s.balance === null || s.stake > s.balance;
    case 'stake-at-most': return s.stake === null || s.stake > l.max;
    // A grid refresh can drop the pick (no cell): that is not the person choosing another one.
    case 'another-cell': return s.cell === null || s.cell === l.cell;
    case 'another-cell-or-stake': return (s.cell === null || s.cell === l.cell) && s.stake === l.stake;
    case 'fresh-price': return !s.feedFresh;
    case 'after': return s.now < l.at;
    case 'signed-in': return !s.signedIn;
    case 'cell-picked': return s.cell === null;
    case 'stake-entered': return s.stake === null;
  }
}

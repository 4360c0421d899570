import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusalOf, stillApplies, type PageState, type Problem } from './refusals.js';

const base = 'https://platform.local/problems/';
const problem = (kind: string, message: string, status = 422, retryAfterSeconds: number | null = null, facts: Record<string, unknown> = {}): Problem =>
  ({ status, type: base + kind, message, retryAfterSeconds, facts });
const attempt = { stake: 50, cell: '2600@1000' };
const page = (s: Partial<PageState> = {}): PageState =>
  ({ stake: 50, cell: '2600@1000', balance: 100_000, feedFresh: true, signedIn: true, now: 0, ...s });

test('a stake out of bounds is said in dollars and lifts when the stake is back in bounds', () => {
  const r = refusalOf(problem('stake-out-of-bounds', 'The stake must be between $1.00 and $1,000.00.', 400, null, { minStake: 100, maxStake: 100_000 }), attempt, 0);
  assert.equal(r.message, 'The stake must be between $1.00 and $1,000.00.');
  assert.equal(stillApplies(r, page({ stake: 50 })), true);
  assert.equal(stillApplies(r, page({ stake: 100_001 })), true);
  assert.equal(stillApplies(r, page({ stake: 500 })), false);
});

test('too little balance is said in dollars and lifts when the balance covers the stake', () => {
  const r = refusalOf(problem('insufficient-balance', 'Not enough.', 422, null, { neededCents: 500, balanceCents: 0 }), { stake: 500, cell: 'c' }, 0);
  assert.equal(r.message, 'The stake of $5.00 is more than your balance of $0.00.');
  assert.equal(stillApplies(r, page({ stake: 500, balance: 0 })), true);
  assert.equal(stillApplies(r, page({ stake: 500, balance: 100_000 })), false);
  assert.equal(stillApplies(r, page({ stake: 1, balance: 1 })), false);
});

test('the daily limit says what is left today in dollars', () => {
  const r = refusalOf(problem('daily-limit', 'Over the limit.', 422, null, { limitCents: 1000, stakedTodayCents: 800, neededCents: 700 }),
    { stake: 700, cell: 'c' }, 0);
  assert.equal(r.message, "This stake would bring today's stakes to $15.00, over your daily limit of $10.00 (days are UTC). You can still stake $2.00 today.");
  assert.equal(stillApplies(r, page({ stake: 700 })), true);
  assert.equal(stillApplies(r, page({ stake: 200 })), false);
});

test('a full cell is said in dollars and lifts with another cell or stake', () => {
  const r = refusalOf(problem('exposure-cap', 'Full.', 422, null, { remainingCents: 1234 }), attempt, 0);
  assert.match(r.message, /at most \$12\.34 more/);
  assert.equal(stillApplies(r, page()), true);
  assert.equal(stillApplies(r, page({ cell: 'other' })), false);
  assert.equal(stillApplies(r, page({ stake: 20 })), false);
});

test('a cell refusal lifts when another cell is picked, not when a grid refresh drops the pick', () => {
  const r = refusalOf(problem('cell-too-soon', 'Bets close 10 s before a window starts; this one starts in 4 s.'), attempt, 0);
  assert.equal(r.message, 'Bets close 10 s before a window starts; this one starts in 4 s.');
  assert.equal(stillApplies(r, page({ cell: null })), true);
  assert.equal(stillApplies(r, page({ cell: '2601@1000' })), false);
});

test('a stale feed refusal lifts with fresh prices; a rate limit when its wait is over', () => {
  const stale = refusalOf(problem('stale-price', 'The price feed is stale.', 503), attempt, 0);
  assert.equal(stillApplies(stale, page({ feedFresh: false })), true);
  assert.equal(stillApplies(stale, page({ feedFresh: true })), false);
  const limited = refusalOf(problem('rate-limited', 'Too many bets. Try again in 3 s.', 429, 3), attempt, 1_000);
  assert.equal(stillApplies(limited, page({ now: 3_999 })), true);
  assert.equal(stillApplies(limited, page({ now: 4_000 })), false);
});

test('an ended session asks to sign in and lifts once signed in', () => {
  const r = refusalOf({ status: 401, type: null, message: 'Unauthorized', retryAfterSeconds: null }, attempt, 0);
  assert.equal(r.message, 'Your session has ended. Sign in again.');
  assert.equal(stillApplies(r, page({ signedIn: false })), true);
  assert.equal(stillApplies(r, page({ signedIn: true })), false);
});

test('an unknown refusal keeps its words and lifts when the bet changes', () => {
  const r = refusalOf(problem('self-excluded', 'This wallet is self-excluded from betting until 2027-01-01.', 403), attempt, 0);
  assert.equal(r.message, 'This wallet is self-excluded from betting until 2027-01-01.');
  assert.equal(stillApplies(r, page()), true);
  assert.equal(stillApplies(r, page({ stake: 60 })), false);
});

test('amounts come from the facts, never from the text: a refusal worded otherwise is still said in dollars', () => {
  const r = refusalOf(problem('insufficient-balance', 'The stake of 500 exceeds 7.', 422, null, { neededCents: 12_345, balanceCents: 678 }), attempt, 0);
  assert.equal(r.message, 'The stake of $123.45 is more than your balance of $6.78.');
  const bare = refusalOf(problem('stake-out-of-bounds', 'between 1 and 2', 400), attempt, 0);
  assert.equal(bare.message, 'between 1 and 2');
});

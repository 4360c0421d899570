import { test } from 'node:test';
import assert from 'node:assert/strict';
import { feedKind, feedNote } from './feed.js';

test("Prices.Ingest's simulated venues make a simulated feed, and the page says so", () => {
  assert.equal(feedKind(['sim-1', 'sim-2', 'sim-3']), 'simulated');
  assert.match(feedNote(['sim-1', 'sim-2', 'sim-3']) ?? '', /^Simulated prices: .*sim-1, sim-2, sim-3/);
});

test('exchange prices carry no note', () => {
  assert.equal(feedKind(['coinbase', 'kraken']), 'exchanges');
  assert.equal(feedNote(['coinbase', 'kraken']), null);
});

test('a mix names the simulated venues; no sources says nothing', () => {
  assert.equal(feedKind(['coinbase', 'sim-1']), 'mixed');
  assert.match(feedNote(['coinbase', 'sim-1']) ?? '', /simulated \(sim-1\)/);
  assert.equal(feedKind([]), 'unknown');
  assert.equal(feedNote([]), null);
  assert.equal(feedKind(['simulated-exchange']), 'exchanges');
});

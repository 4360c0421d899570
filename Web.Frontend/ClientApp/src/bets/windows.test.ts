import { test } from 'node:test';
import assert from 'node:assert/strict';
import { untilText, windowHeading } from './windows.js';

test('no two windows of a grid share a heading', () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 7, 400);
  for (const windowSeconds of [1, 5, 30, 60, 90, 300]) {
    const first = Math.floor(now / (windowSeconds * 1000)) * windowSeconds * 1000;
    const headings = Array.from({ length: 12 }, (_, i) => windowHeading(first + i * windowSeconds * 1000, now));
    assert.equal(new Set(headings.map(h => h.clock)).size, headings.length, `clock, ${windowSeconds} s windows`);
    assert.equal(new Set(headings.slice(1).map(h => h.until)).size, headings.length - 1, `countdown, ${windowSeconds} s windows`);
  }
});

test('the countdown reads in seconds, then minutes and seconds', () => {
  assert.equal(untilText(10_000, 10_000), 'now');
  assert.equal(untilText(9_000, 10_000), 'now');
  assert.equal(untilText(35_000, 10_000), 'in 25 s');
  assert.equal(untilText(160_000, 10_000), 'in 2:30');
  assert.equal(untilText(190_000, 10_000), 'in 3:00');
});

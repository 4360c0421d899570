import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartPoints } from './history.js';

test('history and streamed prices make one point per second, oldest first', () => {
  const history = [{ timestamp: 1_000, price: 1 }, { timestamp: 1_750, price: 2 }, { timestamp: 3_100, price: 3 }];
  const live = [{ timestamp: 3_900, price: 4 }, { timestamp: 5_000, price: 5 }];
  assert.deepEqual(chartPoints(history, live), [{ time: 1, value: 2 }, { time: 3, value: 4 }, { time: 5, value: 5 }]);
});

test('a streamed price that the history also holds is one point', () => {
  assert.deepEqual(chartPoints([{ timestamp: 2_500, price: 7 }], [{ timestamp: 2_500, price: 7 }]), [{ time: 2, value: 7 }]);
});

test('prices out of order are sorted and nonsense is left out', () => {
  assert.deepEqual(chartPoints([{ timestamp: 9_000, price: 9 }, { timestamp: 4_000, price: 4 }, { timestamp: 6_000, price: Number.NaN }]),
    [{ time: 4, value: 4 }, { time: 9, value: 9 }]);
  assert.deepEqual(chartPoints([], []), []);
});

// The betting grid: price bands (rows, highest first) x time windows (columns); each cell a button with its multiplier.
import { el, replaceChildren } from '../ui';
import type { GridCell, GridSnapshot } from './api';
import { clockTime, windowHeading } from './windows';

export const cellKey = (c: { band: number; windowStart: number }) => `${c.band}@${c.windowStart}`;

const usd = (n: number) => n.toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: n >= 1000 ? 0 : 2 });

export function renderGrid(table: HTMLTableElement, grid: GridSnapshot, selected: string | null, paused: boolean, nowMs: number, onPick: (c: GridCell) => void): void {
  const windows = [...new Set(grid.cells.map(c => c.windowStart))].sort((a, b) => a - b);
  const bands = [...new Map(grid.cells.map(c => [c.band, c])).values()].sort((a, b) => b.priceLow - a.priceLow);
  const byKey = new Map(grid.cells.map(c => [cellKey(c), c]));
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Price band'),
    ...windows.map(w => {
      const h = windowHeading(w, nowMs);
      return el('th', { scope: 'col', class: 'window' }, h.clock, el('span', { class: 'until' }, h.until));
    }));
  const rows = bands.map(b => {
    const current = grid.price >= b.priceLow && grid.price < b.priceHigh;
    return el('tr', { class: current ? 'current-band' : '' },
      el('th', { scope: 'row' }, `${usd(b.priceLow)} – ${usd(b.priceHigh)}`, current ? el('span', { class: 'visually-hidden' }, ' (current price)') : null),
      ...windows.map(w => {
        const cell = byKey.get(cellKey({ band: b.band, windowStart: w }));
        if (!cell) return el('td', {});
        const key = cellKey(cell);
        const disabled = paused || !cell.bettable;
        const h = windowHeading(w, nowMs);
        const label = `Band ${usd(cell.priceLow)} to ${usd(cell.priceHigh)}, window ${h.clock} (${h.until}): multiplier ${cell.multiplier.toFixed(2)}${cell.bettable ? '' : `, unavailable: ${cell.reason ?? 'closed'}`}`;
        return el('td', {}, el('button', {
          type: 'button', class: `cell${key === selected ? ' selected' : ''}${cell.bettable ? '' : ' closed'}`,
          disabled, 'aria-pressed': String(key === selected), 'aria-label': label, title: cell.reason ?? `P(touch) ${(cell.probability * 100).toFixed(1)}%`,
          'data-cell': key, onclick: () => onPick(cell),
        }, `×${cell.multiplier.toFixed(2)}`));
      }));
  });
  replaceChildren(table, el('caption', { class: 'visually-hidden' }, 'Multiplier for each price band and time window'),
    el('thead', {}, head), el('tbody', {}, ...rows));
}

export function describeCell(c: GridCell, nowMs: number): string {
  return `Price touches ${usd(c.priceLow)} – ${usd(c.priceHigh)} between ${clockTime(c.windowStart)} and ${clockTime(c.windowEnd)} (${windowHeading(c.windowStart, nowMs).until}), pays ×${c.multiplier.toFixed(2)}`;
}

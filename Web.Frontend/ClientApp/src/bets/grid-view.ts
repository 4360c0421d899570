// The betting grid: price bands (rows, highest first) x time windows (columns); each cell a button with its multiplier.
import { el, replaceChildren } from '../ui';
import type { GridCell, GridSnapshot } from './api';

export const cellKey = (c: { band: number; windowStart: number }) => `${c.band}@${c.windowStart}`;

const usd = (n: number) => n.toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: n >= 1000 ? 0 : 2 });

export function renderGrid(table: HTMLTableElement, grid: GridSnapshot, selected: string | null, paused: boolean, nowMs: number, onPick: (c: GridCell) => void): void {
  const windows = [...new Set(grid.cells.map(c => c.windowStart))].sort((a, b) => a - b);
  const bands = [...new Map(grid.cells.map(c => [c.band, c])).values()].sort((a, b) => b.priceLow - a.priceLow);
  const byKey = new Map(grid.cells.map(c => [cellKey(c), c]));
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Price band'),
    ...windows.map(w => el('th', { scope: 'col' }, windowLabel(w, nowMs))));
  const rows = bands.map(b => {
    const current = grid.price >= b.priceLow && grid.price < b.priceHigh;
    return el('tr', { class: current ? 'current-band' : '' },
      el('th', { scope: 'row' }, `${usd(b.priceLow)} – ${usd(b.priceHigh)}`, current ? el('span', { class: 'visually-hidden' }, ' (current price)') : null),
      ...windows.map(w => {
        const cell = byKey.get(cellKey({ band: b.band, windowStart: w }));
        if (!cell) return el('td', {});
        const key = cellKey(cell);
        const disabled = paused || !cell.bettable;
        const label = `Band ${usd(cell.priceLow)} to ${usd(cell.priceHigh)}, ${windowLabel(w, nowMs)}: multiplier ${cell.multiplier.toFixed(2)}${cell.bettable ? '' : `, unavailable: ${cell.reason ?? 'closed'}`}`;
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

export function windowLabel(windowStart: number, nowMs: number): string {
  const seconds = Math.round((windowStart - nowMs) / 1000);
  if (seconds <= 0) return 'now';
  return seconds < 120 ? `in ${seconds} s` : `in ${Math.round(seconds / 60)} min`;
}

export function describeCell(c: GridCell, nowMs: number): string {
  const start = new Date(c.windowStart).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const end = new Date(c.windowEnd).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return `Price touches ${usd(c.priceLow)} – ${usd(c.priceHigh)} between ${start} and ${end} (${windowLabel(c.windowStart, nowMs)}), pays ×${c.multiplier.toFixed(2)}`;
}

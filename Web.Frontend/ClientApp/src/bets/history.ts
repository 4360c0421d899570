// The chart's points (pure: node tests import it): the price history fetched on load plus the prices streamed since,
// one point per second (the chart needs strictly increasing times; a newer price of the same second replaces the older).

export interface PricePoint { timestamp: number; price: number }
export interface ChartPoint { time: number; value: number }

export function chartPoints(...series: PricePoint[][]): ChartPoint[] {
  const bySecond = new Map<number, PricePoint>();
  for (const p of series.flat()) {
    if (!Number.isFinite(p.price) || !Number.isFinite(p.timestamp)) continue;
    const second = Math.floor(p.timestamp / 1000);
    const held = bySecond.get(second);
    if (!held || p.timestamp >= held.timestamp) bySecond.set(second, p);
  }
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, p]) => ({ time, value: p.price }));
}

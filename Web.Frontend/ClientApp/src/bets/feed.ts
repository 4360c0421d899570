// Where the prices come from, as the price message says (pure: node tests import it). Every published price lists the
// sources behind it; Prices.Ingest's seeded simulation quotes as venues named sim-1..sim-n.

export type FeedKind = 'simulated' | 'mixed' | 'exchanges' | 'unknown';

const simulated = (name: string) => /^sim-\d+$/.test(name);

export function feedKind(sources: string[]): FeedKind {
  if (sources.length === 0) return 'unknown';
  const sim = sources.filter(simulated).length;
  if (sim === sources.length) return 'simulated';
  return sim > 0 ? 'mixed' : 'exchanges';
}

/** The note the page shows about the feed; null when the prices are an exchange's. */
export function feedNote(sources: string[]): string | null {
  switch (feedKind(sources)) {
    case 'simulated':
      return `Simulated prices: this feed is a seeded simulation (${sources.join(', ')}), not a market. Bets use test money.`;
    case 'mixed':
      return `Some of these prices are simulated (${sources.filter(simulated).join(', ')}), not from a market.`;
    default:
      return null;
  }
}

// The rules of voice negotiation between two browsers, apart from WebRTC itself so that node can test them.
//
// Both ends of a pair may offer (an opening offer, an ICE restart after a network change, a repair), so two offers can
// cross. That is WebRTC's "perfect negotiation": one side is polite and yields (rolls its own offer back and answers),
// the other is impolite and ignores the crossing offer. Both ends must agree on who is polite without talking, so it
// is decided from the two user ids alone. The impolite end also opens each link and leads its repairs, so that offers
// cross only when both ends act on something at once (a network change seen by both).
//
// Each RTCPeerConnection is a "link" with a random id. Every signal names the link that sent it and, once known, the
// link it is meant for: a message for a link that has since been replaced is recognised and dropped, and an opening
// offer from a new link of the remote tells this end that the remote started over.

export interface DescriptionInit { type: 'offer' | 'answer'; sdp: string }
export interface CandidateInit { candidate?: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null }

/** The signal payload the hub relays untouched between two browsers. */
export interface Envelope {
  /** The sending link. */
  from: string;
  /** The receiving link, when the sender knows it (after it accepted a description from it). */
  to: string | null;
  description?: DescriptionInit;
  candidate?: CandidateInit;
  /** On a bye: the sender is leaving voice (otherwise it only closed this link and the receiver may open a new one). */
  leaving?: boolean;
}

/** The polite side yields when offers cross. Same user on both ends never happens: a user's own tabs are not linked. */
export function isPolite(selfUserId: string, remoteUserId: string): boolean {
  return selfUserId > remoteUserId;
}

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/** The envelope of a relayed payload; null when it is not one (another client version, a hostile peer). */
export function decodeEnvelope(payload: string): Envelope | null {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const e = raw as Record<string, unknown>;
  if (typeof e.from !== 'string' || e.from.length === 0) return null;
  if (e.to !== null && typeof e.to !== 'string') return null;
  const envelope: Envelope = { from: e.from, to: e.to };
  if (e.description !== undefined) {
    const d = e.description as Record<string, unknown> | null;
    if (!d || (d.type !== 'offer' && d.type !== 'answer') || typeof d.sdp !== 'string') return null;
    envelope.description = { type: d.type, sdp: d.sdp };
  }
  if (e.candidate !== undefined) {
    if (typeof e.candidate !== 'object' || e.candidate === null) return null;
    envelope.candidate = e.candidate as CandidateInit;
  }
  if (e.leaving === true) envelope.leaving = true;
  return envelope;
}

export interface LinkIds { id: string; remote: string | null }

/**
 * What to do with a message for a link: accept it; drop it (meant for a link that was replaced, or sent by a remote
 * link this one no longer talks to); or start over, because the remote opened a new link.
 */
export function routeMessage(kind: 'offer' | 'answer' | 'ice' | 'bye', envelope: Envelope, link: LinkIds): 'accept' | 'drop' | 'start-over' {
  if (envelope.to !== null && envelope.to !== link.id) return 'drop';
  if (link.remote === null || envelope.from === link.remote) return 'accept';
  return kind === 'offer' && envelope.to === null ? 'start-over' : 'drop';
}

export type SignalingState = 'stable' | 'have-local-offer' | 'have-remote-offer' | 'have-local-pranswer' | 'have-remote-pranswer' | 'closed';

/**
 * What to do with a remote description. Offers are made on the same queue that applies incoming signals, so a link
 * that is not stable when an offer arrives has an offer of its own out: the offers crossed.
 */
export function descriptionAction(type: 'offer' | 'answer', polite: boolean, state: SignalingState): 'apply' | 'rollback-then-apply' | 'ignore' {
  if (type === 'answer') return state === 'have-local-offer' ? 'apply' : 'ignore'; // an answer to an offer rolled back
  if (state === 'stable') return 'apply';
  if (!polite) return 'ignore';
  return state === 'have-local-offer' ? 'rollback-then-apply' : 'ignore';
}

export type ConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface LinkHealth {
  state: ConnectionState;
  /** When the connection entered its state. */
  since: number;
  /** When the link was opened or last repaired. */
  lastRemedyAt: number;
  /** Repairs since it was last connected. */
  attempts: number;
  /** A description from the remote was applied: an offer and its answer went both ways once. */
  negotiated: boolean;
}

export type Remedy = 'none' | 'offer' | 'restart-ice' | 'replace';

export const repairAfter = {
  /** How long the polite end of a new link waits for the impolite end's opening offer before it offers itself. */
  politeOfferMs: 2_000,
  /** A negotiated link that has not connected by then (or an opening offer not answered by then) is stuck. */
  stalledMs: 5_000,
  disconnectedMs: 4_000,
  /** The polite end repairs this much later than the impolite end, so that the two rarely offer at once. */
  politeDelayMs: 4_000,
  maxBackoffMs: 16_000,
};

/**
 * The repair a link needs now. The impolite end leads: it opens every link, restarts ICE on a failed or long-
 * disconnected one (a network change: new candidates, same link) and replaces a link that repairs did not bring back
 * or that never connected. Replacing is for one end only: a replacement from both at once would have each close the
 * other's new link. The polite end steps in later, should the impolite end not (offers that cross still resolve).
 */
export function remedy(h: LinkHealth, polite: boolean, now: number): Remedy {
  if (h.state === 'connected' || h.state === 'closed') return 'none';
  if (now - h.lastRemedyAt < Math.min(repairAfter.maxBackoffMs, 1_000 * 2 ** h.attempts)) return 'none';
  const waited = now - Math.max(h.since, h.lastRemedyAt);
  if (!h.negotiated) {
    if (polite) return waited >= repairAfter.politeOfferMs ? 'offer' : 'none';
    return waited >= repairAfter.stalledMs ? 'replace' : 'none';
  }
  const limit = h.state === 'failed' ? 0 : h.state === 'disconnected' ? repairAfter.disconnectedMs : repairAfter.stalledMs;
  if (waited < limit + (polite ? repairAfter.politeDelayMs : 0)) return 'none';
  if (polite) return 'restart-ice';
  return h.attempts >= 2 || h.state === 'new' ? 'replace' : 'restart-ice';
}

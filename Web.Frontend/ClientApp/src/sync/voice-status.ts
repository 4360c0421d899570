// What the page says about voice chat: who this browser hears, and who it is still reaching.
// Imports carry .js: node runs the compiled module in its tests.
import { listNames } from '../text.js';
import type { ConnectionState } from './negotiation.js';

export type LinkStatus = 'connected' | 'connecting' | 'reconnecting';
export interface PeerStatus { userId: string; displayName: string; status: LinkStatus }

/** A link that was connected once and dropped is "reconnecting"; one that never was is still "connecting". */
export function linkStatus(state: ConnectionState, everConnected: boolean): LinkStatus {
  if (state === 'connected') return 'connected';
  return everConnected ? 'reconnecting' : 'connecting';
}

/** One line for the voice panel, e.g. "3 in voice · connected with Ann · connecting to Bob…". */
export function describeVoice(inVoice: number, active: boolean, peers: PeerStatus[]): string {
  if (!active) return inVoice > 0 ? `${inVoice} in voice` : '';
  const parts = [`${inVoice} in voice`];
  const named = (status: LinkStatus) => peers.filter(p => p.status === status).map(p => p.displayName).sort((a, b) => a.localeCompare(b));
  const connected = named('connected');
  const connecting = named('connecting');
  const reconnecting = named('reconnecting');
  if (connected.length > 0) parts.push(`connected with ${listNames(connected)}`);
  if (connecting.length > 0) parts.push(`connecting to ${listNames(connecting)}…`);
  if (reconnecting.length > 0) parts.push(`reconnecting to ${listNames(reconnecting)}…`);
  if (peers.length === 0) parts.push('waiting for others to join');
  return parts.join(' · ');
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, descriptionAction, encodeEnvelope, isPolite, remedy, repairAfter, routeMessage, type LinkHealth } from './negotiation.js';

test('exactly one end of a pair is polite, whichever end asks', () => {
  const a = 'a3c1e9d0-0000-0000-0000-000000000001';
  const b = '17f0e9d0-0000-0000-0000-000000000002';
  assert.notEqual(isPolite(a, b), isPolite(b, a));
});

test('an envelope survives the relay as the hub carries it', () => {
  const sent = { from: 'l1', to: null, description: { type: 'offer' as const, sdp: 'v=0\r\n' } };
  assert.deepEqual(decodeEnvelope(encodeEnvelope(sent)), sent);
  const ice = { from: 'l1', to: 'l2', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
  assert.deepEqual(decodeEnvelope(encodeEnvelope(ice)), ice);
});

test('a bye says whether its sender leaves voice or only closed the link', () => {
  assert.equal(decodeEnvelope(encodeEnvelope({ from: 'l1', to: 'l2', leaving: true }))?.leaving, true);
  assert.equal(decodeEnvelope(encodeEnvelope({ from: 'l1', to: 'l2' }))?.leaving, undefined);
});

test('payloads that are not envelopes are refused', () => {
  for (const payload of ['', 'not json', '{"type":"offer","sdp":"v=0"}', '{"from":"","to":null}', '{"from":"l1","to":3}',
    '{"from":"l1","to":null,"description":{"type":"rollback","sdp":""}}', '{"from":"l1","to":null,"candidate":"x"}', 'null']) {
    assert.equal(decodeEnvelope(payload), null, payload);
  }
});

test('a message for a replaced link of this end is dropped', () => {
  assert.equal(routeMessage('answer', { from: 'r1', to: 'old' }, { id: 'new', remote: null }), 'drop');
  assert.equal(routeMessage('ice', { from: 'r1', to: 'old' }, { id: 'new', remote: 'r1' }), 'drop');
});

test('the first message of a remote link is accepted and later ones from the same link too', () => {
  assert.equal(routeMessage('offer', { from: 'r1', to: null }, { id: 'l1', remote: null }), 'accept');
  assert.equal(routeMessage('ice', { from: 'r1', to: null }, { id: 'l1', remote: null }), 'accept');
  assert.equal(routeMessage('offer', { from: 'r1', to: 'l1' }, { id: 'l1', remote: 'r1' }), 'accept');
  assert.equal(routeMessage('bye', { from: 'r1', to: 'l1' }, { id: 'l1', remote: 'r1' }), 'accept');
});

test('an opening offer from a new remote link starts over; its other messages from the old one are dropped', () => {
  assert.equal(routeMessage('offer', { from: 'r2', to: null }, { id: 'l1', remote: 'r1' }), 'start-over');
  assert.equal(routeMessage('ice', { from: 'r2', to: null }, { id: 'l1', remote: 'r1' }), 'drop');
  assert.equal(routeMessage('bye', { from: 'r2', to: null }, { id: 'l1', remote: 'r1' }), 'drop');
});

test('crossing offers: the impolite end ignores the other offer, the polite end rolls its own back and answers', () => {
  assert.equal(descriptionAction('offer', false, 'have-local-offer'), 'ignore');
  assert.equal(descriptionAction('offer', true, 'have-local-offer'), 'rollback-then-apply');
});

test('an offer to a stable link is applied at either end', () => {
  assert.equal(descriptionAction('offer', false, 'stable'), 'apply');
  assert.equal(descriptionAction('offer', true, 'stable'), 'apply');
});

test('an answer applies only to an offer still out (the cause of "Called in wrong state: stable")', () => {
  assert.equal(descriptionAction('answer', false, 'have-local-offer'), 'apply');
  assert.equal(descriptionAction('answer', true, 'stable'), 'ignore');
  assert.equal(descriptionAction('answer', false, 'have-remote-offer'), 'ignore');
});

const health = (h: Partial<LinkHealth>): LinkHealth => ({ state: 'new', since: 0, lastRemedyAt: 0, attempts: 0, negotiated: true, ...h });

test('a connected or closed link needs nothing', () => {
  assert.equal(remedy(health({ state: 'connected' }), false, 60_000), 'none');
  assert.equal(remedy(health({ state: 'closed' }), true, 60_000), 'none');
});

test('the polite end of a new link waits for the opening offer, then offers itself', () => {
  const fresh = health({ negotiated: false, since: 10_000, lastRemedyAt: 10_000 });
  assert.equal(remedy(fresh, true, 10_000 + repairAfter.politeOfferMs - 1), 'none');
  assert.equal(remedy(fresh, true, 10_000 + repairAfter.politeOfferMs), 'offer');
});

test('the impolite end replaces a link whose opening offer went unanswered', () => {
  const fresh = health({ negotiated: false, since: 10_000, lastRemedyAt: 10_000 });
  assert.equal(remedy(fresh, false, 10_000 + repairAfter.stalledMs - 1), 'none');
  assert.equal(remedy(fresh, false, 10_000 + repairAfter.stalledMs), 'replace');
});

test('a failed link: the impolite end restarts ICE at once, the polite end only if that did not help', () => {
  const failed = health({ state: 'failed', since: 20_000, lastRemedyAt: 0 });
  assert.equal(remedy(failed, false, 20_000), 'restart-ice');
  assert.equal(remedy(failed, true, 20_000), 'none');
  assert.equal(remedy(failed, true, 20_000 + repairAfter.politeDelayMs), 'restart-ice');
});

test('a link that restarts did not bring back is replaced, by the impolite end only', () => {
  const h = health({ state: 'failed', since: 100_000, lastRemedyAt: 90_000, attempts: 2 });
  assert.equal(remedy(h, false, 100_000), 'replace');
  assert.equal(remedy(h, true, 100_000 + repairAfter.politeDelayMs), 'restart-ice');
});

test('a negotiated link that never starts connecting is replaced', () => {
  const stuck = health({ state: 'new', since: 5_000, lastRemedyAt: 5_000 });
  assert.equal(remedy(stuck, false, 5_000 + repairAfter.stalledMs - 1), 'none');
  assert.equal(remedy(stuck, false, 5_000 + repairAfter.stalledMs), 'replace');
});

test('repairs back off: the next waits twice as long as the one before, up to a cap', () => {
  const h = health({ state: 'failed', since: 10_000, lastRemedyAt: 10_000, attempts: 3 });
  assert.equal(remedy(h, false, 10_000 + 7_999), 'none');
  assert.equal(remedy(h, false, 10_000 + 8_000), 'replace');
  const many = health({ state: 'failed', since: 0, lastRemedyAt: 0, attempts: 20 });
  assert.equal(remedy(many, false, repairAfter.maxBackoffMs), 'replace');
});

test('a short disconnection is left to ICE; a long one is repaired', () => {
  const dropped = health({ state: 'disconnected', since: 10_000, lastRemedyAt: 0 });
  assert.equal(remedy(dropped, false, 10_000 + repairAfter.disconnectedMs - 1), 'none');
  assert.equal(remedy(dropped, false, 10_000 + repairAfter.disconnectedMs), 'restart-ice');
  assert.equal(remedy(dropped, true, 10_000 + repairAfter.disconnectedMs), 'none');
});

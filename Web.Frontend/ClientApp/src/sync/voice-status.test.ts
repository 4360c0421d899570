import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeVoice, linkStatus } from './voice-status.js';

test('outside the call the panel only counts who is in it', () => {
  assert.equal(describeVoice(2, false, []), '2 in voice');
  assert.equal(describeVoice(0, false, []), '');
});

test('in the call the panel names who is connected and who is still being reached', () => {
  assert.equal(describeVoice(4, true, [
    { userId: '2', displayName: 'Cy', status: 'connected' },
    { userId: '1', displayName: 'Bob', status: 'connected' },
    { userId: '3', displayName: 'Dee', status: 'connecting' },
  ]), '4 in voice · connected with Bob and Cy · connecting to Dee…');
  assert.equal(describeVoice(2, true, [{ userId: '1', displayName: 'Bob', status: 'reconnecting' }]), '2 in voice · reconnecting to Bob…');
});

test('alone in the call the panel says so', () => {
  assert.equal(describeVoice(1, true, []), '1 in voice · waiting for others to join');
});

test('a dropped link reconnects; one that never connected is connecting', () => {
  assert.equal(linkStatus('connected', false), 'connected');
  assert.equal(linkStatus('disconnected', true), 'reconnecting');
  assert.equal(linkStatus('failed', true), 'reconnecting');
  assert.equal(linkStatus('new', false), 'connecting');
});

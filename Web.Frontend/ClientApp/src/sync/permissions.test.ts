import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowed, deniedReason, type Permissions } from './permissions.js';

const room = (p: Partial<Permissions> = {}) => ({ permissions: { control: 'member', queue: 'member', chat: 'member', ...p } as Permissions });
const ann = { displayName: 'Ann', role: 'host' as const };
const bob = { displayName: 'Bob', role: 'member' as const };

test('a member who may act is told nothing', () => {
  assert.equal(deniedReason('control', bob, room(), [ann, bob]), null);
  assert.equal(deniedReason('control', ann, room({ control: 'host' }), [ann, bob]), null);
});

test('a member whose controls are disabled is told why and whom to ask', () => {
  assert.equal(deniedReason('control', bob, room({ control: 'cohost' }), [ann, bob]),
    "Only co-hosts and hosts can control playback in this room. Ask Ann (the host) to make you a co-host or change the room's permissions.");
  assert.equal(deniedReason('chat', bob, room({ chat: 'host' }), [{ displayName: 'Zed', role: 'host' }, ann, bob]),
    "Only hosts can chat in this room. Ask Ann and Zed (the hosts) to make you a host or change the room's permissions.");
});

test('without a host in the list the note still says who can grant it', () => {
  assert.match(deniedReason('queue', bob, room({ queue: 'cohost' }), [bob]) ?? '', /A host can make you a co-host/);
});

test('hosts may do everything; others need the minimum role', () => {
  assert.equal(allowed(ann, room({ control: 'host' }), 'control'), true);
  assert.equal(allowed({ displayName: 'C', role: 'cohost' }, room({ control: 'cohost' }), 'control'), true);
  assert.equal(allowed(bob, room({ control: 'cohost' }), 'control'), false);
  assert.equal(allowed(null, room(), 'control'), false);
});

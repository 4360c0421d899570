import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomRevisions, type RevisionedSnapshot } from './revisions.js';

const snapshot = (revision: number, voice: string[] = [], roomId = 'r1'): RevisionedSnapshot => ({
  room: { id: roomId }, members: [], queue: [], voice, revision,
});

test('a list older than the last applied one is dropped', () => {
  const r = new RoomRevisions();
  assert.equal(r.accept('voice', 20, ['a', 'b']), true);
  assert.equal(r.accept('voice', 10, ['a']), false);
});

test('an equal revision is not applied twice', () => {
  const r = new RoomRevisions();
  assert.equal(r.accept('members', 5, []), true);
  assert.equal(r.accept('members', 5, []), false);
});

test('each kind keeps its own last revision', () => {
  const r = new RoomRevisions();
  assert.equal(r.accept('voice', 30, []), true);
  assert.equal(r.accept('queue', 10, []), true);
  assert.equal(r.accept('members', 29, []), true);
});

test('broadcasts at or below the snapshot revision are dropped after it', () => {
  const r = new RoomRevisions();
  r.adopt(snapshot(100, ['a', 'b']));
  assert.equal(r.accept('voice', 100, ['a']), false);
  assert.equal(r.accept('voice', 99, ['a']), false);
  assert.equal(r.accept('voice', 101, ['a']), true);
});

test('a list that overtook the snapshot is kept over the snapshot copy', () => {
  const r = new RoomRevisions();
  r.adopt(snapshot(100, ['a']));
  r.accept('voice', 150, ['a', 'b']);
  const applied = r.adopt(snapshot(120, ['a']));
  assert.deepEqual(applied.voice, ['a', 'b']);
  assert.equal(r.accept('voice', 140, ['a']), false);
});

test('a newer snapshot replaces older broadcasts', () => {
  const r = new RoomRevisions();
  r.accept('voice', 50, ['a']);
  const applied = r.adopt(snapshot(60, ['a', 'b']));
  assert.deepEqual(applied.voice, ['a', 'b']);
  assert.equal(r.accept('voice', 55, ['a']), false);
});

test('a snapshot of another room starts the revisions over', () => {
  const r = new RoomRevisions();
  r.adopt(snapshot(500, ['a'], 'r1'));
  const applied = r.adopt(snapshot(10, ['z'], 'r2'));
  assert.deepEqual(applied.voice, ['z']);
  assert.equal(r.accept('voice', 11, ['z', 'y']), true);
});

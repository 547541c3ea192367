// How an IMAP batch is split for fetching: runs of small mail, large mail one at a time
// (streamed), oversized mail passed over, all in UID order so the checkpoint never skips one.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fetchGroups, uidsPerFetch } from '../../src/intake/imap/imap-connector.ts';

it('groups small mail in UID order and keeps large and oversized mail on their own', () => {
  const sizes = new Map([[1, 100], [2, 200], [3, 5_000], [4, 100], [5, 90_000], [6, 100]]);
  assert.deepEqual(fetchGroups([1, 2, 3, 4, 5, 6], sizes, 1_000, 50_000), [
    { kind: 'small', uids: [1, 2] },
    { kind: 'large', uid: 3 },
    { kind: 'small', uids: [4] },
    { kind: 'oversized', uid: 5 },
    { kind: 'small', uids: [6] },
  ]);
});

it('fetches at most uidsPerFetch small mails at once, and counts mail of unknown size as small', () => {
  const uids = Array.from({ length: uidsPerFetch + 3 }, (_, i) => i + 1);
  const groups = fetchGroups(uids, new Map([[2, 5_000]]), 1_000, 50_000);
  assert.deepEqual(groups.map((g) => (g.kind === 'small' ? g.uids.length : g.kind)), [1, 'large', uidsPerFetch, 1]);
});

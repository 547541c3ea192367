// How an IMAP batch is split for fetching: whole groups of small mail, large mail one at a time
// (streamed), oversized mail passed over, all in UID order so the checkpoint never skips one.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fetchGroups } from '../../src/intake/imap/imap-connector.ts';
import { groupLimits } from '../../src/intake/spool-writer.ts';

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

it('closes a group at its message and byte limits', () => {
  const uids = Array.from({ length: groupLimits.messages + 1 }, (_, i) => i + 1);
  const groups = fetchGroups(uids, new Map(uids.map((uid) => [uid, 10])), 1_000, 50_000);
  assert.deepEqual(groups.map((g) => (g.kind === 'small' ? g.uids.length : 0)), [groupLimits.messages, 1]);
  const big = Math.floor(groupLimits.bytes / 2) + 1;
  const byBytes = fetchGroups([1, 2, 3], new Map([[1, big], [2, big], [3, 1]]), groupLimits.bytes, groupLimits.bytes);
  assert.deepEqual(byBytes, [{ kind: 'small', uids: [1] }, { kind: 'small', uids: [2, 3] }]);
});

// The spool/incoming view written behind intake: nothing before the delay, nothing for mail a
// worker finished meanwhile, everything on drain, and intake held back only past the bounds.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pino } from 'pino';
import { ShowBehind } from '../../src/cli/spool-visibility.ts';
import type { MessageState } from '../../src/core/message.ts';
import type { SpooledRow } from '../../src/intake/spool-writer.ts';
import type { Store } from '../../src/store/store.ts';

function fakeApp() {
  const finished = new Map<number, { state: MessageState; rawPurged: boolean }>();
  const shown: string[] = [];
  const store = {
    finishedAmong: async (ids: readonly number[]) => new Map(ids.flatMap((id) => (finished.has(id) ? [[id, finished.get(id)!] as const] : []))),
  } as unknown as Store;
  const app = {
    store,
    log: pino({ level: 'silent' }),
    showInSpool: async (id: number, _sha: string, state: MessageState | null) => void shown.push(`${id}:${state}`),
  };
  return { app, finished, shown };
}

const rows = (...ids: number[]): SpooledRow[] => ids.map((id) => ({ id, sha256: `s${id}`, duplicate: false, bytes: Buffer.alloc(10) }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('shows waiting mail after the delay, and skips mail a worker finished meanwhile', async () => {
  const { app, finished, shown } = fakeApp();
  const behind = new ShowBehind(app, { delayMs: 100 });
  await behind.add(rows(1, 2, 3));
  assert.deepEqual(shown, [], 'nothing is written at once');
  finished.set(2, { state: 'processed', rawPurged: false });
  await sleep(250);
  await behind.drain();
  assert.deepEqual(shown, ['1:queued', '3:queued']);
});

it('writes everything on drain, without waiting for the delay', async () => {
  const { app, shown } = fakeApp();
  const behind = new ShowBehind(app, { delayMs: 60_000 });
  await behind.add(rows(1, 2));
  await behind.drain();
  assert.deepEqual(shown, ['1:queued', '2:queued']);
});

it('holds intake back only past its row or byte bound, and shows the waiting mail then', async () => {
  const { app, shown } = fakeApp();
  const byRows = new ShowBehind(app, { delayMs: 60_000, maxRows: 2 });
  await byRows.add(rows(1, 2));
  assert.deepEqual(shown, []);
  await byRows.add(rows(3));
  assert.deepEqual(shown, ['1:queued', '2:queued', '3:queued'], 'past maxRows, add returns once they are shown');
  const byBytes = new ShowBehind(app, { delayMs: 60_000, maxBytes: 15 });
  await byBytes.add(rows(4, 5));
  assert.deepEqual(shown.slice(3), ['4:queued', '5:queued']);
});

// The claim loop behind the runner and both senders: never more rows at once than its
// concurrency, claims in batches, an outage logged once with its end, and a stop that waits.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { pino } from 'pino';
import { ClaimLoop } from '../../src/core/claim-loop.ts';

interface Row {
  id: number;
}

/** A log that keeps its lines, to count what was said. */
function keptLog() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

/** A queue of `count` due rows, each held until released. */
function queue(count: number) {
  let next = 1;
  const claims: number[] = [];
  const held = new Map<number, () => void>();
  let busy = 0;
  let mostBusy = 0;
  return {
    claims,
    held,
    get mostBusy() {
      return mostBusy;
    },
    claim: async (free: number): Promise<Row[]> => {
      claims.push(free);
      const rows: Row[] = [];
      while (rows.length < free && next <= count) rows.push({ id: next++ });
      return rows;
    },
    handle: (row: Row): Promise<void> =>
      new Promise((resolve) => {
        busy += 1;
        mostBusy = Math.max(mostBusy, busy);
        held.set(row.id, () => {
          busy -= 1;
          held.delete(row.id);
          resolve();
        });
      }),
  };
}

const until = async (ok: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i += 1) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok(), what);
};

it('handles at most `concurrency` rows at once and claims again once half are free', async () => {
  const q = queue(10);
  const { log } = keptLog();
  const loop = new ClaimLoop<Row>({ concurrency: 4, pollInterval: 10, claim: q.claim, handle: q.handle, idOf: (r) => r.id, log, says: { cannotClaim: 'x', resumed: 'y' } });
  loop.start();
  await until(() => q.held.size === 4, 'four rows in hand');
  assert.deepEqual(loop.ids(), [1, 2, 3, 4]);
  q.held.get(1)!();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(q.claims.length, 1, 'one free slot of four is not worth a claim');
  q.held.get(2)!();
  await until(() => q.held.size === 4, 'two more claimed in one batch');
  assert.deepEqual(q.claims.slice(0, 2), [4, 2]);
  // Release as they come until all ten are done.
  let done = 2;
  while (done < 10) {
    await until(() => q.held.size > 0, 'more rows claimed');
    for (const release of [...q.held.values()]) {
      release();
      done += 1;
    }
  }
  await loop.stop();
  assert.equal(q.mostBusy, 4);
  assert.deepEqual(loop.ids(), []);
});

it('logs an unreachable store once, and once when it is back', async () => {
  const { log, lines } = keptLog();
  let down = 5;
  let claimed = false;
  const loop = new ClaimLoop<Row>({
    concurrency: 2,
    pollInterval: 1,
    claim: async () => {
      if (down > 0) {
        down -= 1;
        throw new Error('connection refused');
      }
      if (claimed) return [];
      claimed = true;
      return [{ id: 7 }];
    },
    handle: async () => undefined,
    idOf: (r) => r.id,
    log,
    says: { cannotClaim: 'cannot claim; retrying', resumed: 'reachable again' },
  });
  loop.start();
  await until(() => claimed, 'claims after the outage');
  await loop.stop();
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['cannot claim; retrying', 'reachable again'],
  );
});

it('stop claims nothing more and waits for the rows in hand; a row that throws is logged, not lost in the loop', async () => {
  const q = queue(4);
  const { log, lines } = keptLog();
  const loop = new ClaimLoop<Row>({
    concurrency: 2,
    pollInterval: 10,
    claim: q.claim,
    handle: (row) => (row.id === 2 ? Promise.reject(new Error('boom')) : q.handle(row)),
    idOf: (r) => r.id,
    log,
    says: { cannotClaim: 'x', resumed: 'y' },
  });
  loop.start();
  // Row 2 throws at once, so its slot is claimed again: rows 1 and 3 are in hand.
  await until(() => q.held.has(1) && q.held.has(3), 'rows 1 and 3 in hand');
  let stopped = false;
  const stopping = loop.stop().then(() => {
    stopped = true;
  });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stopped, false, 'stop waits for row 1');
  q.held.get(1)!();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stopped, false, 'stop waits for row 3 too');
  q.held.get(3)!();
  await stopping;
  assert.deepEqual([...q.held.keys()], [], 'row 4 was never claimed after the stop');
  assert.equal(q.claims.length, 2, 'no claim after the stop');
  assert.ok(lines.some((l) => l.msg.includes('not settled') && l.level >= 50));
});

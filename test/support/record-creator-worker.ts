// A worker thread that creates records through its own store connection, as each of
// `postroom start`'s worker threads does; used by the record-number concurrency test.
import { parentPort, workerData } from 'node:worker_threads';
import { formatRecordNumber } from '../../src/domain/records/record-number.ts';
import { openStore } from '../../src/store/open-store.ts';

const { url, dataDir, count, worker } = workerData as { url: string; dataDir: string; count: number; worker: number };
const type = { prefix: 'INC', digits: 7, start: 10001 };
const store = await openStore(url, dataDir, { role: 'worker' });
// Opened: wait for the others, so that all threads create their records at the same time.
parentPort?.postMessage('ready');
await new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));
const numbers: string[] = [];
try {
  for (let i = 0; i < count; i++) {
    numbers.push(
      await store.transaction(async (tx) => {
        const number = formatRecordNumber(type, await tx.allocateNumber('INC'));
        const now = Date.now();
        await tx.insertRecord({ type: 'INC', number, subject: `worker ${worker} record ${i}`, requester: 'load@example.com', firstText: '', createdAt: now, updatedAt: now });
        return number;
      }),
    );
  }
} finally {
  await store.close();
}
parentPort?.postMessage(numbers);

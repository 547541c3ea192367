import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { PostroomError } from './core/errors.ts';
import type { FromWorker, ToWorker, WorkerData } from './worker-main.ts';

const entry = new URL('./worker-main.ts', import.meta.url);

/**
 * The engine's workers: one thread each (runner.workers), restarted if one dies, so a bug that
 * kills a thread never stops processing. Messages it held are reclaimed when its leases expire.
 */
export class WorkerPool {
  private readonly workers = new Set<Worker>();
  private stopping = false;
  private readonly data: WorkerData;
  private readonly log: Logger;

  constructor(config: Readonly<Config>, configFile: string | undefined, log: Logger) {
    this.data = { config: structuredClone(config) as Config, configFile };
    this.log = log;
  }

  async start(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.spawn()));
  }

  notify(): void {
    for (const worker of this.workers) worker.postMessage('notify' satisfies ToWorker);
  }

  /** Drains every worker: each finishes its messages in flight and closes its store. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.postMessage('stop' satisfies ToWorker);
          }),
      ),
    );
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(entry, { workerData: this.data });
      let ready = false;
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          ready = true;
          this.workers.add(worker);
          resolve();
        } else if (message.kind === 'error') {
          reject(new PostroomError('store_unavailable', `a worker could not start: ${message.message}`));
        }
      });
      worker.on('error', (err) => {
        if (!ready) reject(err);
        else this.log.error({ err: err.message }, 'worker thread crashed');
      });
      worker.on('exit', (code) => {
        this.workers.delete(worker);
        if (!ready || this.stopping) return;
        this.log.error({ code }, 'worker thread exited; starting a new one');
        this.spawn().catch((err: unknown) =>
          this.log.error({ err: String(err) }, 'could not restart a worker thread'),
        );
      });
    });
  }
}

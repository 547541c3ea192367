// Entry of one worker thread: its own store connection and a Runner, so parsing and deciding
// use every core while the main thread keeps taking mail in.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { runnerContext } from './cli/runner-context.ts';
import type { Config } from './config/schema.ts';
import { preloadMailauth } from './decide/identify/mailauth-check.ts';
import { openAppFromConfig } from './open-app.ts';
import { Runner } from './runner.ts';

export interface WorkerData {
  config: Config;
  configFile: string | undefined;
}

/** Messages between the engine and a worker thread. */
export type ToWorker = 'notify' | 'stop';
export type FromWorker = { kind: 'ready' } | { kind: 'stopped' } | { kind: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('worker-main.ts runs only as a worker thread');
const data = workerData as WorkerData;
const send = (message: FromWorker): void => port.postMessage(message);

try {
  const app = await openAppFromConfig(data.config, data.configFile, {
    name: `worker-${threadId}`,
    role: 'worker',
  });
  // Load the trust checker before claiming mail: claimed mail should be processed at once.
  if (data.config.mailboxes.some((m) => m.trust.mode === 'verify')) await preloadMailauth();
  const runner = new Runner(await runnerContext(app));
  await runner.start();
  port.on('message', (message: ToWorker) => {
    if (message === 'notify') runner.notify();
    if (message === 'stop') {
      void runner
        .stop()
        .then(() => app.close())
        .then(() => {
          send({ kind: 'stopped' });
          port.close();
        });
    }
  });
  send({ kind: 'ready' });
} catch (err) {
  send({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}

// Categorize at scale (issue 5): decide the same mails against an empty SQLite store and against
// one holding 1,000,000 messages on 200,000 records, in alternating rounds, and compare the
// rates. Every reply lookup (Message-ID in sent and stored mail, watermark token, record number,
// requester, fan-out claim) misses on the empty store and hits on the big one, so the ratio is
// what those lookups cost at scale. Issue 5 wants it to stay ≥ 0.9; it is printed, never asserted.
//
//   node test/bench/categorize-scale.ts [messages] [records] [mails]   (default 1000000 200000 2000)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import type { MailboxSettings } from '../../src/decide/context.ts';
import { decideRaw, type DecideRawOptions } from '../../src/decide/decide-raw.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { describeHistory, fillStore, senderAddress, type Filled } from './categorize-fill.ts';
import { median } from './stats.ts';

export interface CategorizeScaleFigures {
  empty: { rate: number; msPerMail: number };
  big: { rate: number; msPerMail: number; fillSeconds: number; dbMb: number };
  /** big rate / empty rate */
  ratio: number;
  store: 'sqlite';
  /** mails that attached to a record: none on the empty store, ~80 % on the big one (the lookups hit) */
  attached: { empty: number; big: number };
}

const secret = 'bench-categorize-secret-0123456789abcdef';
const signing = { secret, domain: 'bench.example' };
const sliceSize = 50;

export async function measureCategorizeAtScale(options: {
  messages: number;
  records: number;
  mails: number;
}): Promise<CategorizeScaleFigures> {
  const defaults = configSchema.parse({ mailboxes: [{ address: 'postroom@localhost' }] });
  const mailbox: MailboxSettings = {
    ...(defaults.mailboxes[0] as MailboxSettings),
    // No DKIM/SPF/DMARC (DNS would dominate and vary) and no loopback rate window (it counts the
    // sender's recent mail, a different query): the figure is the reply lookups alone.
    trust: { mode: 'off', trustedAuthservIds: [], trustedRelays: [], unverifiedMay: ['create'] },
    loopbackDetectionInterval: 0,
  };
  const base = { mailbox, recordTypes: defaults.recordTypes, prefixes: defaults.prefixes, signing, limits: defaults.limits };
  const now = Date.now();
  const history = describeHistory({ ...options, mailbox: mailbox.address, signing });
  const mails = generateMails(history, options.mails, options.messages);

  const emptyDir = mkdtempSync(join(tmpdir(), 'postroom-bench-cat-empty-'));
  const bigDir = mkdtempSync(join(tmpdir(), 'postroom-bench-cat-big-'));
  const stores: Store[] = [];
  try {
    const empty = await openStore('', emptyDir, { role: 'worker' });
    stores.push(empty);
    const big = await openStore('', bigDir, { role: 'worker' });
    stores.push(big);
    const file = join(bigDir, 'postroom.db');
    const fill = fillStore({ file, ...options, mailbox: mailbox.address, signing, now }, history);
    const dbMb = statSync(file).size / 2 ** 20;

    const optsOf = (store: Store): DecideRawOptions => ({ ...base, store, now: () => now });
    const emptyOpts = optsOf(empty);
    const bigOpts = optsOf(big);
    const attachedBy = async (opts: DecideRawOptions): Promise<number> => {
      let attached = 0;
      for (const raw of mails) if ((await decideRaw(raw, opts)).outcome === 'attached') attached++;
      return attached;
    };
    // Warm-up: JIT, statement caches and the pages the lookups touch count for neither side.
    const attached = { empty: await attachedBy(emptyOpts), big: await attachedBy(bigOpts) };
    // One round decides every mail on both stores, alternating in slices of 50 mails (and which
    // store goes first alternates too), so a busy neighbour or a garbage collection falls on both
    // sides alike rather than on whichever round it happened to hit.
    const round = async (): Promise<{ empty: number; big: number }> => {
      const ms = { empty: 0, big: 0 };
      const slice = async (side: 'empty' | 'big', from: number): Promise<void> => {
        const opts = side === 'empty' ? emptyOpts : bigOpts;
        const start = performance.now();
        for (const raw of mails.slice(from, from + sliceSize)) await decideRaw(raw, opts);
        ms[side] += performance.now() - start;
      };
      for (let from = 0, k = 0; from < mails.length; from += sliceSize, k++) {
        await slice(k % 2 === 0 ? 'empty' : 'big', from);
        await slice(k % 2 === 0 ? 'big' : 'empty', from);
      }
      return ms;
    };
    const emptyMs: number[] = [];
    const bigMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const ms = await round();
      emptyMs.push(ms.empty);
      bigMs.push(ms.big);
    }
    const e = median(emptyMs);
    const b = median(bigMs);
    return {
      empty: { rate: (mails.length * 1000) / e, msPerMail: e / mails.length },
      big: { rate: (mails.length * 1000) / b, msPerMail: b / mails.length, fillSeconds: fill.seconds, dbMb },
      ratio: e / b,
      store: 'sqlite',
      attached,
    };
  } finally {
    for (const store of stores) await store.close();
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(bigDir, { recursive: true, force: true });
  }
}

/**
 * The mix: 40 % replies naming stored or sent mail in In-Reply-To/References, 20 % with a
 * watermark in the quoted body, 20 % "Re: CASE…" from the record's requester, 20 % new mail.
 */
function generateMails(history: Filled, count: number, messages: number): Buffer[] {
  const rand = seededRandom(42);
  const records = history.numbers.length;
  const pick = (n: number): number => 1 + Math.floor(rand() * n);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    const headers: string[] = [];
    let subject: string;
    let from: string;
    let body = 'Thanks, but it still does not work. Could you have another look?\n';
    if (kind <= 1) {
      // A thread: the newest reference is one of our sent mails (kind 0) or a stored mail (kind 1).
      const n = pick(messages);
      const r = kind === 0 ? pick(records) : history.recordOf(n);
      const newest = kind === 0 ? history.sentIds[r - 1]! : history.storedId(n);
      const older = [history.storedId(pick(messages)), `x${i}@client.example`];
      headers.push(`In-Reply-To: <${newest}>`, `References: ${[...older, newest].map((id) => `<${id}>`).join(' ')}`);
      subject = `Re: Request ${r}`;
      from = history.requesters[r - 1]!;
    } else if (kind === 2) {
      const r = pick(records);
      subject = `Re: Your request has been updated`;
      from = history.requesters[r - 1]!;
      body +=
        `\nOn Mon, 3 Mar 2025 at 10:00, Support <postroom@localhost> wrote:\n` +
        `> Your request ${history.numbers[r - 1]} has been updated.\n>\n` +
        `> Ref:MSG${String(r).padStart(7, '0')}_${history.tokens[r - 1]}\n`;
    } else if (kind === 3) {
      const r = pick(records);
      subject = `Re: ${history.numbers[r - 1]} Request ${r}`;
      from = history.requesters[r - 1]!;
    } else {
      subject = `Printer on floor ${i % 9} is out of toner`;
      from = senderAddress(60_000 + i);
      body = 'Hello, the printer needs a new cartridge. Regards\n';
    }
    const raw = [
      `From: Customer ${i} <${from}>`,
      'To: Support <postroom@localhost>',
      `Subject: ${subject}`,
      `Date: ${new Date(Date.UTC(2025, 2, 3, 10, 0, i % 60)).toUTCString()}`,
      `Message-ID: <b${i}.${kind}@client.example>`,
      ...headers,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
    ].join('\r\n');
    out.push(Buffer.from(raw.replaceAll(/(?<!\r)\n/g, '\r\n')));
  }
  return out;
}


if (import.meta.main) {
  const [messages = 1_000_000, records = 200_000, mails = 2000] = process.argv.slice(2).map(Number);
  const f = await measureCategorizeAtScale({ messages, records, mails });
  process.stdout.write(
    `categorize at scale (SQLite), ${mails} mails: empty store ${f.empty.rate.toFixed(1)} mails/s (${f.empty.msPerMail.toFixed(3)} ms/mail); ` +
      `${messages} messages / ${records} records ${f.big.rate.toFixed(1)} mails/s (${f.big.msPerMail.toFixed(3)} ms/mail); ` +
      `ratio ${f.ratio.toFixed(3)} (issue 5: ≥ 0.9)\n` +
      `fill ${f.big.fillSeconds.toFixed(1)} s, database ${f.big.dbMb.toFixed(0)} MB; attached ${f.attached.big}/${mails} on the big store, ${f.attached.empty} on the empty one\n`,
  );
}

// Directory import rate (issue 5): N seeded contacts spread over companies, written to a CSV in a
// temp folder and imported through importDirectory into a fresh SQLite store, as
// `postroom directory import` does (reading and parsing the file included in the time).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { importDirectory } from '../../src/domain/directory/import.ts';
import { parseDirectoryFile } from '../../src/domain/directory/import-rows.ts';
import { KyselyStore } from '../../src/store/kysely-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { seededRandom } from '../support/seeded-random.ts';

export interface DirectoryImportFigures {
  rows: number;
  seconds: number;
  rate: number;
  store: 'sqlite';
}

const syllables = [
  'an',
  'bel',
  'cor',
  'da',
  'el',
  'fin',
  'gar',
  'hal',
  'is',
  'jo',
  'ka',
  'lin',
  'mar',
  'no',
  'or',
  'per',
];

/** The companies CSV and the contacts CSV: about 25 contacts per company, some with a second address. */
function generate(rows: number, seed = 5): { companies: string; contacts: string } {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const word = (n: number): string => Array.from({ length: n }, () => pick(syllables)).join('');
  const companyCount = Math.max(1, Math.ceil(rows / 25));
  const header = 'kind,id,name,addresses,company,lockedOut,domains,primaryContact';
  const companies = [header];
  for (let c = 0; c < companyCount; c++) {
    const name = word(2);
    companies.push(`company,co-${c},${name} ${c},,,,${name}${c}.example;${name}${c}-mail.example,`);
  }
  const contacts = [header];
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(random() * companyCount);
    const first = word(2);
    const last = word(3);
    const domain = companies[c + 1]?.split(',')[6]?.split(';')[0] ?? 'example.com';
    const addresses = [`${first}.${last}.${i}@${domain}`];
    if (random() < 0.2) addresses.push(`${first}${i}@home${i % 97}.example`);
    contacts.push(
      `contact,c-${i},${first} ${last},${addresses.join(';')},co-${c},${random() < 0.01 ? 'true' : ''},,`,
    );
  }
  return { companies: `${companies.join('\n')}\n`, contacts: `${contacts.join('\n')}\n` };
}

/** Imports `rows` generated contacts into a fresh SQLite store and times it. */
export async function measureDirectoryImport(rows: number): Promise<DirectoryImportFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'postroom-bench-directory-'));
  const store = await openStore('', dataDir);
  try {
    if (!(store instanceof KyselyStore)) throw new Error('expected the SQLite KyselyStore');
    const directory = store.directory;
    const files = generate(rows);
    const companiesFile = join(dataDir, 'companies.csv');
    const contactsFile = join(dataDir, 'contacts.csv');
    writeFileSync(companiesFile, files.companies);
    writeFileSync(contactsFile, files.contacts);
    // The companies first, untimed: the figure is contacts per second.
    const setup = await importDirectory(
      directory,
      parseDirectoryFile(companiesFile, readFileSync(companiesFile, 'utf8')),
      { dryRun: false, now: Date.now() },
    );
    if (setup.rejectedRows > 0) throw new Error(`companies rejected: ${JSON.stringify(setup.rejected[0])}`);

    const start = performance.now();
    const parsed = parseDirectoryFile(contactsFile, readFileSync(contactsFile, 'utf8'));
    const report = await importDirectory(directory, parsed, { dryRun: false, now: Date.now() });
    const seconds = (performance.now() - start) / 1000;

    if (report.created !== rows || report.rejectedRows > 0)
      throw new Error(
        `expected ${rows} created, got ${report.created} created and ${report.rejectedRows} rejected: ${JSON.stringify(report.rejected[0])}`,
      );
    const stored = (await directory.listParties('contact')).length;
    if (stored !== rows) throw new Error(`expected ${rows} contacts stored, found ${stored}`);
    return { rows, seconds, rate: rows / seconds, store: 'sqlite' };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const rows = Number(process.argv[2] ?? 100_000);
  const f = await measureDirectoryImport(rows);
  process.stdout.write(
    `directory import: ${f.rows} contacts in ${f.seconds.toFixed(2)} s = ${Math.round(f.rate)} rows/s (${f.store})\n`,
  );
}

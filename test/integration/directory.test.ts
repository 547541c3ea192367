// The directory on both backends: import through the command functions (as `postroom directory
// import` runs them), idempotency, dry run, rejected rows, and the lookups decide uses.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  directoryImport,
  directoryList,
  directoryShow,
  type CommandIo,
  type DirectoryApp,
} from '../../src/cli/directory-command.ts';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { DirectoryStore } from '../../src/store/directory-store.ts';
import { kyselyOf } from '../../src/store/kysely-of.ts';
import { KyselyStore } from '../../src/store/kysely-store.ts';
import { backends, runCli, tempDir, writeConfig, openTestStore, type TestStore } from '../support/engine.ts';

interface Output {
  out: string;
  err: string;
  io: CommandIo;
}
function output(): Output {
  const o: Output = {
    out: '',
    err: '',
    io: {
      out: (t) => void (o.out += t),
      err: (t) => void (o.err += t),
    },
  };
  return o;
}

function appFor(
  t: TestStore,
  config: Config = configSchema.parse({}),
): { app: DirectoryApp; directory: DirectoryStore } {
  assert.ok(t.store instanceof KyselyStore);
  return { app: { config, store: t.store }, directory: t.store.directory };
}

const header = 'kind,id,name,addresses,company,lockedOut,domains,primaryContact,active,team,inactiveTeam';
const seedCsv = [
  header,
  'user,u-ann,Ann Admin,ann@postroom.test,,,,,,,',
  'user,u-lou,Lou Locked,lou@postroom.test,,true,,,,,',
  'contact,c-bob,Bob Plumber,Bob@AcmePlumbing.com;bob@acme-mobile.test,acme,,,,,,',
  'contact,c-sue,Sue Site,sue@acmeplumbing.com,acme,,,,,,',
  'company,acme,Acme Plumbing,,,,@AcmePlumbing.com,c-bob,,,',
  'company,twoprime,Two Primes,,,,twoprime.test,c-p1,,,',
  'company,twoprime-b,Two Primes B,,,,twoprime-b.test,c-p2,,,',
  'contact,c-p1,P One,p1@twoprime.test,twoprime,,,,,,',
  'contact,c-p2,P Two,p2@twoprime.test,twoprime-b,,,,,,',
  'project,GC-003,Main Street,,,,,,,c-bob;u-ann,c-sue',
  'project,GC-004,Closed job,,,,,,false,c-bob,',
  'project,GC-005,Other job,,,,,,,u-ann,',
].join('\n');

async function tableCounts(t: TestStore): Promise<Record<string, number>> {
  assert.ok(t.store instanceof KyselyStore);
  const db = kyselyOf(t.store);
  const counts: Record<string, number> = {};
  for (const table of [
    'directory_parties',
    'directory_addresses',
    'directory_companies',
    'directory_company_domains',
    'directory_projects',
    'directory_project_members',
  ] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

for (const backend of backends()) {
  describe(`directory on ${backend}`, () => {
    let t: TestStore;
    let app: DirectoryApp;
    let directory: DirectoryStore;
    let dir: string;

    before(async () => {
      t = await openTestStore(backend);
      ({ app, directory } = appFor(t));
      dir = tempDir('postroom-directory-');
    });
    after(async () => {
      await t.cleanup();
    });

    test('a dry run reports what would change and writes nothing', async () => {
      const file = join(dir, 'seed.csv');
      writeFileSync(file, seedCsv);
      const o = output();
      const code = await directoryImport(app, file, { dryRun: true, json: true }, o.io);
      assert.equal(code, 0, o.err);
      const report = JSON.parse(o.out) as { dryRun: boolean; created: number; changes: { action: string }[] };
      assert.equal(report.dryRun, true);
      assert.equal(report.created, 12);
      assert.ok(report.changes.every((c) => c.action === 'create'));
      assert.deepEqual(Object.values(await tableCounts(t)), [0, 0, 0, 0, 0, 0]);
    });

    test('import writes every row; importing the same file again changes nothing', async () => {
      const file = join(dir, 'seed.csv');
      const first = output();
      assert.equal(await directoryImport(app, file, {}, first.io), 0, first.err);
      assert.match(first.out, /12 rows: 12 created, 0 updated, 0 unchanged, 0 rejected/);
      const counts = await tableCounts(t);
      assert.deepEqual(counts, {
        directory_parties: 6,
        directory_addresses: 7,
        directory_companies: 3,
        directory_company_domains: 3,
        directory_projects: 3,
        directory_project_members: 5,
      });
      const before = await listJson(app);
      const second = output();
      assert.equal(await directoryImport(app, file, { json: true }, second.io), 0);
      const report = JSON.parse(second.out) as { created: number; updated: number; unchanged: number };
      assert.deepEqual([report.created, report.updated, report.unchanged], [0, 0, 12]);
      assert.deepEqual(await tableCounts(t), counts);
      assert.deepEqual(await listJson(app), before);
    });

    test('list --json prints the import JSON shape, and it imports back unchanged', async () => {
      const listed = await listJson(app);
      const file = join(dir, 'export.json');
      writeFileSync(file, JSON.stringify(listed));
      const o = output();
      assert.equal(await directoryImport(app, file, { json: true }, o.io), 0, o.err);
      const report = JSON.parse(o.out) as { unchanged: number; changes: unknown[] };
      assert.equal(report.unchanged, 12);
      assert.deepEqual(report.changes, []);
      const contacts = (listed as { contacts: { id: string; addresses: string[] }[] }).contacts;
      assert.deepEqual(contacts.find((c) => c.id === 'c-bob')?.addresses, [
        'Bob@acmeplumbing.com',
        'bob@acme-mobile.test',
      ]);
    });

    test('rejected rows are reported with row number, field and reason; valid rows still apply (exit 65)', async () => {
      const file = join(dir, 'mixed.csv');
      writeFileSync(
        file,
        [
          header,
          'contact,c-new,New Person,new@acmeplumbing.com,acme,,,,,,', // line 2 ok
          'contact,c-bad,Bad,not-an-address,,,,,,,', // line 3
          'contact,c-thief,Thief,sue@ACMEPLUMBING.com,,,,,,,', // line 4: Sue's address
          'contact,c-lost,Lost,lost@x.test,nowhere,,,,,,', // line 5: no such company
          'company,acme2,Acme Again,,,,acmeplumbing.com,,,,', // line 6: acme's domain
        ].join('\n'),
      );
      const o = output();
      assert.equal(await directoryImport(app, file, {}, o.io), 65);
      assert.match(o.out, /5 rows: 1 created, 0 updated, 0 unchanged, 4 rejected/);
      assert.match(o.out, /line 3 contact c-bad: addresses\.0: "not-an-address" is not an email address/);
      assert.match(
        o.out,
        /line 4 contact c-thief: addresses: sue@acmeplumbing\.com belongs to contact c-sue/,
      );
      assert.match(o.out, /line 5 contact c-lost: company: no company nowhere in the file or the directory/);
      assert.match(o.out, /line 6 company acme2: domains: acmeplumbing\.com belongs to company acme/);
      assert.equal((await directory.getParty('c-new'))?.companyId, 'acme');
      assert.equal(await directory.getParty('c-bad'), undefined);
      assert.equal((await directory.findPartyByAddress('sue@acmeplumbing.com'))?.party.id, 'c-sue');
    });

    test('a dry run with rejected rows exits 65 and writes nothing', async () => {
      const file = join(dir, 'dry-mixed.csv');
      writeFileSync(
        file,
        [header, 'contact,c-dry,Dry,dry@x.test,,,,,,,', 'contact,c-dry2,,nope,,,,,,,'].join('\n'),
      );
      const o = output();
      assert.equal(await directoryImport(app, file, { dryRun: true }, o.io), 65);
      assert.match(o.out, /would create contact c-dry \(line 2\)/);
      assert.equal(await directory.getParty('c-dry'), undefined);
    });

    test('a changed row updates only that entity and names the changed fields', async () => {
      const file = join(dir, 'update.json');
      writeFileSync(
        file,
        JSON.stringify({
          contacts: [
            {
              id: 'c-sue',
              name: 'Sue Site',
              addresses: ['sue@acmeplumbing.com', 'sue@home.test'],
              company: 'acme',
              lockedOut: true,
            },
          ],
        }),
      );
      const o = output();
      assert.equal(await directoryImport(app, file, { json: true }, o.io), 0, o.err);
      const report = JSON.parse(o.out) as { changes: { id: string; action: string; fields: string[] }[] };
      assert.deepEqual(report.changes, [
        {
          row: 1,
          location: 'contacts[0]',
          kind: 'contact',
          id: 'c-sue',
          action: 'update',
          fields: ['addresses', 'lockedOut'],
        },
      ]);
      const sue = await directory.findPartyByAddress('SUE@home.test');
      assert.equal(sue?.party.id, 'c-sue');
      assert.equal(sue?.lockedOut, true);
    });

    test('an address moves between parties when both rows are in the file', async () => {
      const file = join(dir, 'move.csv');
      writeFileSync(
        file,
        [
          header,
          'contact,c-bob,Bob Plumber,Bob@AcmePlumbing.com,acme,,,,,,',
          'contact,c-new,New Person,new@acmeplumbing.com;bob@acme-mobile.test,acme,,,,,,',
        ].join('\n'),
      );
      const o = output();
      assert.equal(await directoryImport(app, file, {}, o.io), 0, o.out);
      assert.equal((await directory.findPartyByAddress('bob@acme-mobile.test'))?.party.id, 'c-new');
      assert.deepEqual((await directory.getParty('c-bob'))?.addresses, ['Bob@acmeplumbing.com']);
    });

    test('missing file exits 66; unreadable CSV exits 65 and imports nothing', async () => {
      const o = output();
      assert.equal(await directoryImport(app, join(dir, 'absent.csv'), {}, o.io), 66);
      assert.match(o.err, /no such file/);
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, `${header}\ncontact,c-q,"unclosed,q@x.test`);
      const o2 = output();
      assert.equal(await directoryImport(app, bad, {}, o2.io), 65);
      assert.match(o2.err, /not valid CSV.*nothing was imported/);
      assert.equal(await directory.getParty('c-q'), undefined);
    });

    test('lookup by address: upper-case domain, +tag, company and locked-out flag', async () => {
      const bob = await directory.findPartyByAddress('bob+invoices@ACMEPLUMBING.COM');
      assert.equal(bob?.party.id, 'c-bob');
      assert.equal(bob?.via, 'subaddress');
      assert.equal(bob?.company?.id, 'acme');
      assert.equal(bob?.company?.primaryContactId, 'c-bob');
      assert.equal(bob?.lockedOut, false);
      assert.equal(
        (await directory.findPartyByAddress('"Ann" <ANN@Postroom.Test>'.slice(6)))?.party.id,
        'u-ann',
      );
      const lou = await directory.findPartyByAddress('lou@postroom.test');
      assert.equal(lou?.party.kind, 'user');
      assert.equal(lou?.lockedOut, true);
      assert.equal(lou?.company, null);
      assert.equal(await directory.findPartyByAddress('nobody@acmeplumbing.com'), undefined);
      assert.equal(await directory.findPartyByAddress('bob@acmeplumbing.com.evil.test'), undefined);
    });

    test('case-sensitive local parts when configured', async () => {
      const sensitive = { localPartCase: 'sensitive', subaddressSeparator: '+' } as const;
      assert.equal(await directory.findPartyByAddress('bob@acmeplumbing.com', sensitive), undefined);
      assert.equal((await directory.findPartyByAddress('Bob@ACMEplumbing.com', sensitive))?.via, 'exact');
      assert.equal(
        (await directory.findPartyByAddress('Bob+x@acmeplumbing.com', sensitive))?.via,
        'subaddress',
      );
      // through the command, from config.directory
      const config = { ...configSchema.parse({}), directory: sensitive };
      const { app: strict } = appFor(t, config as Config);
      await assert.rejects(
        directoryShow(strict, 'bob@acmeplumbing.com', {}, output().io),
        /no user or contact/,
      );
    });

    test('domains: contacts, the one primary contact (seed 004), the owning company', async () => {
      assert.deepEqual(
        (await directory.contactsOfDomain('@AcmePlumbing.com')).map((p) => p.id),
        ['c-bob', 'c-new', 'c-sue'],
      );
      assert.equal((await directory.primaryContactOfDomain('acmeplumbing.com'))?.id, 'c-bob');
      assert.equal((await directory.primaryContactOfDomain('MaryTheNewHire@acmeplumbing.com'))?.id, 'c-bob');
      // two primary contacts use @twoprime.test: not exactly one
      assert.deepEqual(
        (await directory.primaryContactsOfDomain('twoprime.test')).map((p) => p.id),
        ['c-p1', 'c-p2'],
      );
      assert.equal(await directory.primaryContactOfDomain('twoprime.test'), undefined);
      assert.equal(await directory.primaryContactOfDomain('unknown.test'), undefined);
      assert.equal((await directory.companyOfDomain('ACMEPLUMBING.com'))?.id, 'acme');
    });

    test('projects: dash-optional lookup, active teams only', async () => {
      assert.equal((await directory.findProject('gc003'))?.id, 'GC-003');
      assert.equal((await directory.findProject('GC-003'))?.name, 'Main Street');
      assert.equal(await directory.findProject('GC-999'), undefined);
      // GC-004 is inactive, Sue is an inactive member of GC-003
      assert.deepEqual(
        (await directory.activeProjectsOf('c-bob')).map((p) => p.id),
        ['GC-003'],
      );
      assert.deepEqual(
        (await directory.activeProjectsOf('u-ann')).map((p) => p.id),
        ['GC-003', 'GC-005'],
      );
      assert.deepEqual(await directory.activeProjectsOf('c-sue'), []);
      assert.deepEqual(await directory.projectIds(), ['GC-003', 'GC-005']);
    });

    test('list and show, as text and JSON', async () => {
      const o = output();
      await directoryList(app, { kind: 'company' }, o.io);
      assert.match(o.out, /^KIND\s+ID\s+NAME\s+DETAILS\n/);
      assert.match(o.out, /company\s+acme\s+Acme Plumbing\s+acmeplumbing\.com; primary c-bob/);
      assert.doesNotMatch(o.out, /contact/);
      await assert.rejects(directoryList(app, { kind: 'robot' }, output().io), /unknown kind "robot"/);

      const byAddress = output();
      await directoryShow(app, 'BOB+x@AcmePlumbing.com', { json: true }, byAddress.io);
      const shown = JSON.parse(byAddress.out) as Record<string, unknown>;
      assert.equal(shown['id'], 'c-bob');
      assert.deepEqual(shown['matched'], { address: 'Bob@acmeplumbing.com', via: 'subaddress' });
      assert.deepEqual(shown['activeProjects'], ['GC-003']);

      const company = output();
      await directoryShow(app, 'acme', {}, company.io);
      assert.match(company.out, /kind:\s+company/);
      assert.match(company.out, /people:\s+c-bob, c-new, c-sue/);

      const project = output();
      await directoryShow(app, 'gc003', { json: true }, project.io);
      assert.deepEqual(JSON.parse(project.out), {
        kind: 'project',
        id: 'GC-003',
        name: 'Main Street',
        active: true,
        team: ['c-bob', 'u-ann'],
        inactiveTeam: ['c-sue'],
      });
      await assert.rejects(
        directoryShow(app, 'nobody', {}, output().io),
        /no user, contact, company or project nobody/,
      );
    });

    test('through the real CLI once `directory` is registered', async (ctx) => {
      const cwd = tempDir('postroom-directory-cli-');
      const config = writeConfig(cwd, `dataDir: ${join(cwd, 'data')}\ndatabase: { url: "${t.url}" }\n`);
      const file = join(cwd, 'people.csv');
      writeFileSync(
        file,
        [header, 'contact,c-cli,Cli,cli@x.test,,,,,,,', 'contact,c-cli2,,broken,,,,,,,'].join('\n'),
      );
      const run = await runCli(['-c', config, 'directory', 'import', file, '--json'], { cwd });
      if (/unknown command 'directory'/.test(run.stderr)) {
        ctx.skip('the directory command is not registered in src/cli/program.ts yet');
        return;
      }
      assert.equal(run.code, 65, run.stderr);
      const report = JSON.parse(run.stdout) as {
        created: number;
        rejected: { row: number; field: string }[];
      };
      assert.equal(report.created, 1);
      assert.deepEqual(
        report.rejected.map((r) => [r.row, r.field]),
        [[3, 'addresses.0']],
      );
      const again = await runCli(['-c', config, 'directory', 'import', file], { cwd });
      assert.equal(again.code, 65);
      assert.match(again.stdout, /0 created, 0 updated, 1 unchanged, 1 rejected/);
      const show = await runCli(['-c', config, 'directory', 'show', 'CLI+tag@X.TEST', '--json'], { cwd });
      assert.equal(show.code, 0, show.stderr);
      assert.equal((JSON.parse(show.stdout) as { id: string }).id, 'c-cli');
      const missing = await runCli(['-c', config, 'directory', 'import', join(cwd, 'absent.csv')], { cwd });
      assert.equal(missing.code, 66);
    });
  });
}

async function listJson(app: DirectoryApp): Promise<unknown> {
  const o = output();
  await directoryList(app, { json: true }, o.io);
  return JSON.parse(o.out);
}

// Seed 004's project documents through a real `postroom start` and real SMTP, on every backend:
// the subjects that create documents, the ones that attach, project IDs with and without dash,
// the route update, attachment cataloguing and a reply to a routed-document mail.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { kyselyOf } from '../../src/store/kysely-of.ts';
import { KyselyStore } from '../../src/store/kysely-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { backends, waitFor } from '../support/engine.ts';
import type { DocumentRouteRow, DocumentRow } from '../../src/core/document.ts';
import { EngineSession, type ShownMessage } from '../support/engine-session.ts';

/** `postroom documents show --json`: the stored document (dates as text) with its route and messages. */
type DocumentJson = Omit<DocumentRow, 'createdAt' | 'updatedAt' | 'routeDestination'> & {
  route: DocumentRouteRow[];
  messages: { messageRef: number; kind: string; catalog: { attachments: { filename: string; action: string }[]; mail: { action: string } } | null }[];
};

const directoryCsv = [
  'kind,id,name,addresses,company,lockedOut,domains,primaryContact,active,team,inactiveTeam',
  'user,u-ann,Ann PM,ann@ourcompany.test,,,,,,,',
  'contact,c-bob,Bob Plumber,bob@acmeplumbing.com,acme,,,,,,',
  'contact,c-sue,Sue Site,sue@acmeplumbing.com,acme,,,,,,',
  'company,acme,Acme Plumbing,,,,acmeplumbing.com,c-bob,,,',
  'contact,c-tom,Tom Builder,tom@builder.test,builder,,,,,,',
  'company,builder,Builder Co,,,,builder.test,c-tom,,,',
  'project,GC-003,Main Street,,,,,,,c-bob;u-ann,',
].join('\n');

for (const backend of backends()) {
  describe(`project documents through real intake (${backend})`, () => {
    let session: EngineSession;
    let n = 0;
    const cli = (...args: string[]) => session.cli(...args);
    const documents = async (): Promise<DocumentJson[]> => JSON.parse((await cli('documents', 'list', '--json')).stdout) as DocumentJson[];
    const document = async (id: number): Promise<DocumentJson> => JSON.parse((await cli('documents', 'show', String(id), '--json')).stdout) as DocumentJson;
    const deliver = async (o: { from: string; subject: string; to?: string; cc?: string; headers?: string[]; attachments?: { filename: string; content: string }[] }): Promise<ShownMessage> => {
      const id = `d${++n}.${backend}@test`;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: session.port, secure: false, ignoreTLS: true });
      await transport.sendMail({
        envelope: { from: o.from, to: ['projects@localhost'] },
        from: o.from,
        to: o.to ?? 'projects@localhost',
        ...(o.cc ? { cc: o.cc } : {}),
        subject: o.subject,
        messageId: `<${id}>`,
        text: 'See attached.',
        ...(o.headers ? { headers: Object.fromEntries(o.headers.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()])) } : {}),
        ...(o.attachments ? { attachments: o.attachments } : {}),
      });
      transport.close();
      return session.show((await session.settled(id)).id);
    };
    const byTitle = async (title: string): Promise<DocumentJson> => {
      const found = (await documents()).find((d) => d.title === title);
      assert.ok(found, `a document titled "${title}"`);
      return document(found.id);
    };

    before(async () => {
      session = await EngineSession.start(backend, [
            'projects:',
            '  catalogFolder: ./catalog',
            '  docTypes:',
            '    - { name: Correspondence, inbound: "Yes", requiresProject: false, subtypes: [EM], catalog: { pdf: 1, eml: 1 } }',
            '    - { name: Field Report, inbound: "Yes", catalog: { pdf: 1, exe: 0 } }',
            '    - { name: Safety Notice, inbound: "Yes" }',
            '    - { name: CCO, inbound: Smart }',
            'mailboxes:',
            '  - { address: projects@localhost, projectDocuments: true, trust: { mode: off } }',
      ]);
      writeFileSync(`${session.dir}/directory.csv`, directoryCsv);

      assert.equal((await cli('directory', 'import', `${session.dir}/directory.csv`)).code, 0);
      // Documents that exist already in the project system, with their routes.
      const store = await openStore(session.url, `${session.dir}/data`);
      try {
        await store.transaction(async (tx) => {
          const now = Date.now();
          const base = { projectId: 'GC-003', subtype: null, routeDestination: null, createdAt: now, updatedAt: now };
          const report = await tx.insertDocument({ ...base, docType: 'Field Report', number: '0146', title: 'Field Report 0146', sourceContact: 'c-tom', responsibleParty: 'c-bob', routeCurrent: 1 });
          await tx.replaceDocumentRoute(report, [
            { rowId: 'fr-tom', seq: 1, party: 'c-tom', state: 'pending' },
            { rowId: 'fr-ann', seq: 2, party: 'u-ann', state: 'pending' },
          ], 1, now);
          await tx.recordDocumentMail(`route-ann.${backend}@postroom.test`, report, 'fr-ann');
          const cco = await tx.insertDocument({ ...base, docType: 'CCO', number: '0150.0006', title: 'CCO 0150.0006', sourceContact: 'c-tom', responsibleParty: 'c-tom', routeCurrent: 1 });
          await tx.replaceDocumentRoute(cco, [{ rowId: 'cco-tom', seq: 1, party: 'c-tom', state: 'pending' }], 1, now);
        });
      } finally {
        await store.close();
      }
    });
    after(() => session?.close());

    it('"Fw: GC003 Safety Notice; fuel oil spill" creates a Safety Notice: title, source contact, responsible party', async () => {
      const m = await deliver({ from: 'sue@acmeplumbing.com', subject: 'Fw: GC003 Safety Notice; fuel oil spill' });
      assert.equal(m.state, 'processed');
      assert.equal(m.outcome, 'created');
      const d = await byTitle('Fw: GC003 Safety Notice; fuel oil spill');
      assert.equal(d.projectId, 'GC-003');
      assert.equal(d.docType, 'Safety Notice');
      assert.equal(d.sourceContact, 'c-bob', 'the primary contact of the sender’s domain');
      assert.equal(d.responsibleParty, 'c-sue', 'the sender’s contact');
    });

    it('"GC003 Field Report: 9/18/2012" creates a Field Report; titles keep the first 60 characters', async () => {
      await deliver({ from: 'bob@acmeplumbing.com', subject: 'GC003 Field Report: 9/18/2012' });
      const d = await byTitle('GC003 Field Report: 9/18/2012');
      assert.equal(d.docType, 'Field Report');
      const long = `GC003 Field Report: ${'x'.repeat(80)}`;
      await deliver({ from: 'bob@acmeplumbing.com', subject: long });
      assert.ok((await documents()).some((doc) => doc.title === long.slice(0, 60)));
    });

    it('"Re: Change in schedule for GC003" and "Fw: GC-003 delayed by power outage" find GC-003 and create Correspondence EM', async () => {
      await deliver({ from: 'bob@acmeplumbing.com', subject: 'Re: Change in schedule for GC003' });
      await deliver({ from: 'bob@acmeplumbing.com', subject: 'Fw: GC-003 delayed by power outage' });
      for (const title of ['Re: Change in schedule for GC003', 'Fw: GC-003 delayed by power outage']) {
        const d = await byTitle(title);
        assert.equal(d.projectId, 'GC-003');
        assert.equal(d.docType, 'Correspondence');
        assert.equal(d.subtype, 'EM');
      }
      const correspondence = await byTitle('Re: Change in schedule for GC003');
      assert.equal(correspondence.messages[0]?.catalog?.mail.action, 'catalogue', 'the mail itself (.eml) is catalogued: folder set and eml: 1');
      const folder = `${session.dir}/catalog/GC-003/Correspondence ${correspondence.number}`;
      await waitFor(() => existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('.eml')), 10_000, 'the .eml in the catalogue folder');
    });

    it('"Re: GC003 Field Report # 0146 Photos" attaches to 0146 and updates its route; attachments catalogued by rule', async () => {
      const m = await deliver({
        from: 'tom@builder.test',
        to: 'sue@acmeplumbing.com',
        cc: 'bob@acmeplumbing.com',
        subject: 'Re: GC003 Field Report # 0146 Photos',
        attachments: [
          { filename: 'photos.pdf', content: '%PDF-1.4 photos' },
          { filename: 'viewer.exe', content: 'MZ' },
        ],
      });
      assert.equal(m.outcome, 'attached');
      const d = await byTitle('Field Report 0146');
      const bySeq = (seq: number) => d.route.filter((r) => r.seq === seq).map((r) => `${r.party}:${r.state}`).sort();
      // Tom is the current sequence: he answers it. Sue (To) joins the next sequence with Ann; Bob,
      // the responsible party, neither sent it nor was on To (only Cc), so he is added too. Cc itself changes nothing.
      assert.deepEqual(bySeq(1), ['c-tom:responded']);
      assert.deepEqual(bySeq(2), ['c-bob:pending', 'c-sue:pending', 'u-ann:pending']);
      assert.equal(d.routeCurrent, 2);
      const catalog = d.messages.find((x) => x.kind === 'attached')?.catalog;
      assert.deepEqual(catalog?.attachments.map((a) => [a.filename, a.action]), [['photos.pdf', 'catalogue'], ['viewer.exe', 'skip']]);
      assert.equal(catalog?.mail.action, 'skip', 'Field Report has no eml rule');
      const folder = `${session.dir}/catalog/GC-003/Field Report 0146`;
      await waitFor(() => existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('-photos.pdf')), 10_000, 'photos.pdf catalogued');
      assert.deepEqual(readdirSync(folder).map((f) => f.replace(/^\d+-/, '')), ['photos.pdf'], 'viewer.exe skipped, no .eml');
      assert.equal(readFileSync(`${folder}/${readdirSync(folder)[0]}`, 'utf8'), '%PDF-1.4 photos');
    });

    it('"Re: GC003 CCO # 0150.0006 HVAC additional CFM" attaches to the CCO (Smart: attach only); a sender not on the route is inserted before the current sequence', async () => {
      const m = await deliver({ from: 'bob@acmeplumbing.com', subject: 'Re: GC003 CCO # 0150.0006 HVAC additional CFM' });
      assert.equal(m.outcome, 'attached');
      const d = await byTitle('CCO 0150.0006');
      assert.deepEqual(d.route.map((r) => [r.seq, r.party, r.state]).sort(), [[1, 'c-bob', 'responded'], [2, 'c-tom', 'pending']]);
      const none = await deliver({ from: 'bob@acmeplumbing.com', subject: 'GC003 CCO for the new pipes' });
      assert.equal(none.state, 'rejected', 'Smart may not create a document');
    });

    it('a number that names no document is rejected with the reason', async () => {
      const m = await deliver({ from: 'bob@acmeplumbing.com', subject: 'Re: GC003 Field Report # 9999 typo' });
      assert.equal(m.state, 'rejected');
      assert.ok(m.trace.some((t) => /no Field Report # 9999 in GC-003/.test(t.why)));
    });

    it('a reply to a routed-document mail answers its route row', async () => {
      const m = await deliver({ from: 'ann@ourcompany.test', subject: 'Re: your report', headers: [`In-Reply-To: <route-ann.${backend}@postroom.test>`] });
      assert.equal(m.outcome, 'attached');
      const d = await byTitle('Field Report 0146');
      assert.equal(d.route.find((r) => r.rowId === 'fr-ann')?.state, 'responded');
      assert.ok(m.trace.some((t) => t.concluded === 'reply to a routed-document mail'));
    });

    it('catalogue files a crash left unwritten are written at the next start', async () => {
      const folder = `${session.dir}/catalog/GC-003/Field Report 0146`;
      assert.equal(await session.stop(), 0);
      rmSync(folder, { recursive: true, force: true });
      // As if the engine died between the commit and the files: the row is not marked catalogued.
      const store = await openStore(session.url, `${session.dir}/data`);
      try {
        assert.ok(store instanceof KyselyStore);
        await kyselyOf(store).updateTable('document_messages').set({ catalogued: 0 }).execute();
      } finally {
        await store.close();
      }
      await session.restart();
      await waitFor(() => existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('-photos.pdf')), 20_000, 'photos.pdf written again at start');
      // The files are written first, the log line after: on a busy machine it comes a moment later.
      await waitFor(() => /catalogue files written that an unclean stop left undone/.test(session.engine?.output() ?? ''), 10_000, 'the repair logged');
    });
  });
}

// Identify (seeds 001 and 004) as an admin sets it up: `postroom directory import` through the
// real CLI, a real `postroom start`, mail over real SMTP; on every backend.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { backends } from '../support/engine.ts';
import { EngineSession, type ShownMessage } from '../support/engine-session.ts';

const directoryCsv = [
  'kind,id,name,addresses,company,lockedOut,domains,primaryContact,active,team,inactiveTeam',
  'user,u-ann,Ann Agent,ann@ourcompany.test,,,,,,,',
  'user,u-lou,Lou Locked,lou@ourcompany.test,,true,,,,,',
  'contact,c-bob,Bob Plumber,Bob@AcmePlumbing.com,acme,,,,,,',
  'company,acme,Acme Plumbing,,,,acmeplumbing.com,c-bob,,,',
  'contact,c-p1,Pat One,p1@twoprime.test,twoprime,,,,,,',
  'contact,c-p2,Pat Two,p2@twoprime.test,twoprime-b,,,,,,',
  'company,twoprime,Two Prime,,,,twoprime.test,c-p1,,,',
  'company,twoprime-b,Two Prime B,,,,twoprime-b.test,c-p2,,,',
].join('\n');

for (const backend of backends()) {
  describe(`identify through real intake (${backend})`, () => {
    let session: EngineSession;
    const cli = (...args: string[]) => session.cli(...args);
    let n = 0;
    /** Sends a mail and returns the message once it has reached a final state. */
    const deliver = async (from: string, to: string, subject = 'Question'): Promise<ShownMessage> => {
      const id = `m${++n}.${backend}@test`;
      const raw = [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: <${id}>`, '', 'Hello.', ''].join('\r\n');
      await session.sendRaw(raw, { from, to: [to] });
      return session.show((await session.settled(id)).id);
    };

    before(async () => {
      session = await EngineSession.start(backend, [
            'mailboxes:',
            '  - { address: open@localhost, autoCreateUsersFrom: [ourcompany.test], trust: { mode: off } }',
            '  - { address: closed@localhost, whitelist: reject-all, trust: { mode: off } }',
            '  - { address: known@localhost, whitelist: known-contacts, trust: { mode: off } }',
            '  - { address: company@localhost, whitelist: known-contacts-or-company, trust: { mode: off } }',
      ]);
      writeFileSync(`${session.dir}/directory.csv`, directoryCsv);
    });
    after(() => session?.close());

    it('`postroom directory import` loads the directory; a second import changes nothing', async () => {
      const dry = await cli('directory', 'import', `${session.dir}/directory.csv`, '--dry-run', '--json');
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(JSON.parse((await cli('directory', 'list', '--json')).stdout).contacts?.length ?? 0, 0, 'the dry run wrote nothing');
      const first = await cli('directory', 'import', `${session.dir}/directory.csv`);
      assert.equal(first.code, 0, first.stderr + first.stdout);
      const again = await cli('directory', 'import', `${session.dir}/directory.csv`, '--json');
      assert.equal(again.code, 0);
      const shown = await cli('directory', 'show', 'bob+invoices@acmeplumbing.COM', '--json');
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /c-bob/, 'found by a +tag subaddress and an upper-case domain');
    });

    it('known-contacts: a contact gets in, a stranger is rejected with the reason', async () => {
      const bob = await deliver('bob@acmeplumbing.com', 'known@localhost');
      assert.equal(bob.state, 'processed');
      assert.ok(bob.record);
      assert.ok(bob.trace.some((t) => t.stage === 'identify' && /contact c-bob/.test(t.concluded)));
      const stranger = await deliver('someone@nowhere.test', 'known@localhost');
      assert.equal(stranger.state, 'rejected');
      assert.equal(stranger.record, null);
      assert.ok(stranger.trace.some((t) => t.concluded === 'rejected' && /not a known contact/.test(t.why)));
    });

    it('known-contacts-or-company admits MaryTheNewHire@acmeplumbing.com (one primary contact uses the domain), not a domain with two', async () => {
      const mary = await deliver('MaryTheNewHire@acmeplumbing.com', 'company@localhost');
      assert.equal(mary.state, 'processed');
      assert.ok(mary.trace.some((t) => t.concluded === 'admitted' && /exactly one primary contact \(c-bob\)/.test(t.why)));
      const two = await deliver('newbie@twoprime.test', 'company@localhost');
      assert.equal(two.state, 'rejected');
      assert.ok(two.trace.some((t) => /2 primary contacts use @twoprime\.test/.test(t.why)));
    });

    it('reject-all rejects general mail; accept-all takes a guest', async () => {
      assert.equal((await deliver('bob@acmeplumbing.com', 'closed@localhost')).state, 'rejected');
      const guest = await deliver('guest@elsewhere.test', 'open@localhost');
      assert.equal(guest.state, 'processed');
      assert.ok(guest.trace.some((t) => t.stage === 'identify' && t.concluded === 'guest'));
    });

    it('mail from a locked-out user is skipped with the reason', async () => {
      const lou = await deliver('lou@ourcompany.test', 'open@localhost');
      assert.equal(lou.state, 'skipped');
      assert.equal(lou.record, null);
      assert.ok(lou.trace.some((t) => t.concluded === 'skipped' && /locked-out user u-lou/.test(t.why)));
    });

    it('an unknown sender of a trusted domain becomes a user (seed 001)', async () => {
      const fresh = await deliver('Nina New <nina@ourcompany.test>', 'open@localhost');
      assert.equal(fresh.state, 'processed');
      assert.ok(fresh.trace.some((t) => t.stage === 'apply' && t.concluded === 'created user auto:nina@ourcompany.test'));
      const shown = await cli('directory', 'show', 'nina@ourcompany.test', '--json');
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /Nina New/);
      // The second mail finds her in the directory.
      const second = await deliver('nina@ourcompany.test', 'open@localhost', 'Another');
      assert.ok(second.trace.some((t) => t.stage === 'identify' && /user auto:nina@ourcompany\.test/.test(t.concluded)));
    });
  });
}

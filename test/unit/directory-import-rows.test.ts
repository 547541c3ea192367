import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ImportFileError,
  parseCsvRows,
  parseDirectoryFile,
  parseJsonRows,
} from '../../src/domain/directory/import-rows.ts';
import { checkRows } from '../../src/domain/directory/import.ts';
import type { DirectorySnapshot } from '../../src/store/directory.ts';

const header = 'kind,id,name,addresses,company,lockedOut,domains,primaryContact,active,team,inactiveTeam';

describe('CSV rows', () => {
  test('reads every kind into whole entities', () => {
    const { rows, rejected } = parseCsvRows(
      [
        header,
        'user,u-ann,Ann Admin,ann@ours.com,,,,,,,',
        'contact,c-bob,Bob,"Bob@AcmePlumbing.COM; bob.b@acme.co",acme,yes,,,,,',
        'company,acme,Acme Plumbing,,,,"@AcmePlumbing.com;acme.co",c-bob,,,',
        'project,GC-003,Main Street,,,,,,,c-bob;u-ann,c-old',
      ].join('\n'),
    );
    assert.deepEqual(rejected, []);
    assert.deepEqual(
      rows.map((r) => [r.row, r.entity]),
      [
        [
          2,
          {
            kind: 'user',
            party: {
              id: 'u-ann',
              kind: 'user',
              name: 'Ann Admin',
              addresses: ['ann@ours.com'],
              companyId: null,
              lockedOut: false,
            },
          },
        ],
        [
          3,
          {
            kind: 'contact',
            party: {
              id: 'c-bob',
              kind: 'contact',
              name: 'Bob',
              addresses: ['Bob@acmeplumbing.com', 'bob.b@acme.co'],
              companyId: 'acme',
              lockedOut: true,
            },
          },
        ],
        [
          4,
          {
            kind: 'company',
            company: {
              id: 'acme',
              name: 'Acme Plumbing',
              domains: ['acmeplumbing.com', 'acme.co'],
              primaryContactId: 'c-bob',
            },
          },
        ],
        [
          5,
          {
            kind: 'project',
            project: {
              id: 'GC-003',
              name: 'Main Street',
              active: true,
              team: [
                { partyId: 'c-bob', active: true },
                { partyId: 'u-ann', active: true },
                { partyId: 'c-old', active: false },
              ],
            },
          },
        ],
      ],
    );
  });

  test('only the columns in the header are needed, in any order and case', () => {
    const { rows, rejected } = parseCsvRows('ID,Kind,Addresses\r\nc-1,CONTACT,a@x.com\r\n');
    assert.deepEqual(rejected, []);
    assert.equal(rows.length, 1);
  });

  test('each bad row is rejected with its line, field and reason; good rows go on', () => {
    const { rows, rejected } = parseCsvRows(
      [
        header,
        'contact,c-1,One,one@x.com,,,,,,,', // line 2: fine
        'contact,c-2,Two,not-an-address,,,,,,,', // line 3
        'contact,,Three,three@x.com,,,,,,,', // line 4: no id
        'robot,r-1,,,,,,,,,', // line 5
        'contact,c-5,Five,five@x.com,,maybe,,,,,', // line 6
        'contact,c-6,Six,six@x.com,,,x.com,,,,', // line 7: domains on a contact
        'company,co-7,Seven,,,,,,,,', // line 8: no domains
        'project,GC 8,,,,,,,,,', // line 9: bad project id
        'project,GC-9,,,,,,,,a;b,b', // line 10: b active and inactive
        'user,u-10,"Multi',
        'line",u10@x.com,,,,,,,', // lines 11-12: fine, reported from 11
        'contact,c-12,,,,,,,,,', // line 13: no address
      ].join('\n'),
    );
    assert.deepEqual(
      rows.map((r) => [r.location, r.entity.kind]),
      [
        ['line 2', 'contact'],
        ['line 11', 'user'],
      ],
    );
    const got = rejected.map((r) => [r.location, r.field, r.reason]);
    assert.deepEqual(got, [
      ['line 3', 'addresses.0', '"not-an-address" is not an email address'],
      ['line 4', 'id', 'is required: expected an ID'],
      ['line 5', 'kind', '"robot" is not user, contact, company or project'],
      ['line 6', 'lockedOut', 'expected true or false'],
      ['line 7', 'domains', 'does not apply to a contact; leave it empty'],
      ['line 8', 'domains', 'is required: expected a list of domains'],
      ['line 9', 'id', 'expected letters and digits with single dashes between them, such as GC-003'],
      ['line 10', 'inactiveTeam', 'b cannot be both an active and an inactive member'],
      ['line 13', 'addresses', 'is required: expected a list of email addresses'],
    ]);
    assert.equal(rejected[0]?.row, 3);
    assert.equal(rejected[0]?.id, 'c-2');
  });

  test('a file that is not CSV, or has an unknown column, fails as a whole', () => {
    assert.throws(() => parseCsvRows('kind,id\ncontact,"open'), ImportFileError);
    assert.throws(() => parseCsvRows('kind,id,adresses\ncontact,c,a@x.com'), /unknown column adresses/);
    assert.throws(() => parseCsvRows('kind,name\ncontact,c'), /no id column/);
    assert.throws(() => parseCsvRows(''), /empty/);
  });
});

describe('JSON rows', () => {
  test('reads the four lists; rejections name the list and index', () => {
    const { rows, rejected } = parseJsonRows(
      JSON.stringify({
        users: [{ id: 'u-1', addresses: ['u1@ours.com'] }],
        contacts: [
          { id: 'c-1', addresses: ['c1@x.com'], company: 'x', lockedOut: false },
          { id: 'c-2', addresses: [], nickname: 'Cee' },
        ],
        companies: [{ id: 'x', domains: ['x.com'] }],
        projects: [{ id: 'GC-003', team: ['c-1'], active: 'yes' }],
      }),
    );
    assert.deepEqual(
      rows.map((r) => r.location),
      ['users[0]', 'contacts[0]', 'companies[0]'],
    );
    assert.deepEqual(
      rejected.map((r) => [r.location, r.field, r.reason]),
      [
        ['contacts[1]', 'addresses', 'at least one address is required'],
        ['contacts[1]', 'nickname', 'not a field of a contact'],
        ['projects[0]', 'active', 'expected true or false'],
      ],
    );
  });

  test('unknown top-level keys and invalid JSON fail the file', () => {
    assert.throws(() => parseJsonRows('{"people": []}'), /unknown key people/);
    assert.throws(() => parseJsonRows('{'), /not valid JSON/);
    assert.throws(() => parseJsonRows('[]'), ImportFileError);
  });

  test('the format follows the file extension', () => {
    assert.equal(parseDirectoryFile('x.JSON', '{}').rows.length, 0);
    assert.throws(() => parseDirectoryFile('x.txt', ''), /\.csv or \.json/);
  });
});

const emptySnapshot: DirectorySnapshot = {
  parties: new Map(),
  companies: new Map(),
  projects: new Map(),
  addressOwners: new Map(),
  domainOwners: new Map(),
  projectKeyOwners: new Map(),
};

describe('checks across rows', () => {
  test('duplicates, conflicts and dangling references are rejected, and a refusal cascades', () => {
    const { rows } = parseCsvRows(
      [
        header,
        'contact,c-1,,a@x.com,,,,,,,', // 2 ok
        'contact,c-1,,b@x.com,,,,,,,', // 3 duplicate id
        'contact,c-3,,a@x.com,,,,,,,', // 4 address already on line 2
        'company,c-1,,,,,x.com,,,,', // 5 id used by a contact
        'company,co,,,,,y.com,nobody,,,', // 6 dangling primary contact
        'contact,c-7,,c7@y.com,co,,,,,,', // 7 its company was refused → refused too
        'project,GC-003,,,,,,,,c-1,', // 8 ok
        'project,gc003,,,,,,,,c-1,', // 9 same project key as line 8
      ].join('\n'),
    );
    const { accepted, rejected } = checkRows(rows, emptySnapshot);
    assert.deepEqual(
      accepted.map((r) => r.location),
      ['line 2', 'line 8'],
    );
    assert.deepEqual(
      rejected.map((r) => [r.location, r.field, r.reason]).sort(),
      [
        ['line 3', 'id', 'c-1 is already used by the contact on line 2'],
        ['line 4', 'addresses', 'a@x.com is also on line 2'],
        ['line 5', 'id', 'c-1 is already used by the contact on line 2'],
        ['line 6', 'primaryContact', 'no user or contact nobody in the file or the directory'],
        ['line 7', 'company', 'no company co in the file or the directory'],
        ['line 9', 'id', 'project ID gc003 (dashes and case aside) is also on line 8'],
      ].sort(),
    );
  });

  test('an address owned in the directory may move only if its owner lets go of it in the same file', () => {
    const snap: DirectorySnapshot = {
      ...emptySnapshot,
      parties: new Map([
        [
          'old',
          { id: 'old', kind: 'contact', name: '', addresses: ['a@x.com'], companyId: null, lockedOut: false },
        ],
      ]),
      addressOwners: new Map([['a@x.com', 'old']]),
    };
    const taken = parseCsvRows(`${header}\ncontact,new,,a@x.com,,,,,,,`).rows;
    assert.deepEqual(
      checkRows(taken, snap).rejected.map((r) => r.reason),
      ['a@x.com belongs to contact old'],
    );
    const moved = parseCsvRows(
      `${header}\ncontact,new,,a@x.com,,,,,,,\ncontact,old,,other@x.com,,,,,,,`,
    ).rows;
    assert.deepEqual(checkRows(moved, snap).rejected, []);
  });
});

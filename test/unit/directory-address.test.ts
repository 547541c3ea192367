import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  baseLocalPart,
  candidateLocals,
  domainOf,
  matchAddress,
  normalizeDomain,
  parseAddress,
  type ParsedAddress,
} from '../../src/domain/directory/address.ts';
import { addressSettingsFrom } from '../../src/domain/directory/settings.ts';
import {
  defaultAddressSettings,
  projectKey,
  type AddressSettings,
} from '../../src/domain/directory/types.ts';

const sensitive: AddressSettings = { localPartCase: 'sensitive', subaddressSeparator: '+' };
const noTags: AddressSettings = { localPartCase: 'insensitive', subaddressSeparator: '' };

function addr(text: string): ParsedAddress {
  const parsed = parseAddress(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

describe('address parsing', () => {
  test('lower-cases the domain and keeps the local part as written', () => {
    assert.deepEqual(parseAddress('Mary.Smith@AcmePlumbing.COM'), {
      local: 'Mary.Smith',
      domain: 'acmeplumbing.com',
    });
  });

  test('accepts angle brackets, mailto: and a trailing root dot', () => {
    assert.deepEqual(parseAddress(' <bob@x.com> '), { local: 'bob', domain: 'x.com' });
    assert.deepEqual(parseAddress('mailto:bob@X.com'), { local: 'bob', domain: 'x.com' });
    assert.deepEqual(parseAddress('bob@x.com.'), { local: 'bob', domain: 'x.com' });
  });

  test('refuses what is not an address', () => {
    for (const bad of [
      '',
      'bob',
      '@x.com',
      'bob@',
      'bob smith@x.com',
      'bob@x..com',
      'bob@-x.com',
      'a,b@x.com',
    ])
      assert.equal(parseAddress(bad), undefined, bad);
  });

  test('internationalised domains compare in their ASCII form', () => {
    assert.equal(normalizeDomain('BÜCHER.de'), 'xn--bcher-kva.de');
    assert.equal(parseAddress('anna@bücher.de')?.domain, parseAddress('anna@xn--bcher-kva.de')?.domain);
  });

  test('company domains may be written with a leading @ (seed 004: "@company")', () => {
    assert.equal(normalizeDomain('@AcmePlumbing.com'), 'acmeplumbing.com');
    assert.equal(domainOf('@acmeplumbing.com'), 'acmeplumbing.com');
    assert.equal(domainOf('Mary@AcmePlumbing.com'), 'acmeplumbing.com');
    assert.equal(domainOf('not a domain'), undefined);
  });
});

describe('address matching', () => {
  test('the domain is always case-insensitive', () => {
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob@X.COM'), sensitive), 'exact');
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob@X.COM'), defaultAddressSettings), 'exact');
  });

  test('the local part is case-insensitive by default', () => {
    assert.equal(matchAddress(addr('bob@x.com'), addr('BOB@x.com'), defaultAddressSettings), 'case');
  });

  test('the local part is case-sensitive when configured', () => {
    assert.equal(matchAddress(addr('bob@x.com'), addr('BOB@x.com'), sensitive), undefined);
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob@x.com'), sensitive), 'exact');
  });

  test('a +tag subaddress matches its base address', () => {
    assert.equal(
      matchAddress(addr('bob@x.com'), addr('bob+invoices@x.com'), defaultAddressSettings),
      'subaddress',
    );
    assert.equal(
      matchAddress(addr('bob@x.com'), addr('BOB+Invoices@X.com'), defaultAddressSettings),
      'subaddress',
    );
    // case-sensitive: the base must match exactly too
    assert.equal(matchAddress(addr('bob@x.com'), addr('Bob+tag@x.com'), sensitive), undefined);
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob+tag@x.com'), sensitive), 'subaddress');
  });

  test('a stored tagged address is a mailbox of its own: the base does not match it', () => {
    assert.equal(matchAddress(addr('bob+sales@x.com'), addr('bob@x.com'), defaultAddressSettings), undefined);
    assert.equal(
      matchAddress(addr('bob+sales@x.com'), addr('bob+sales@x.com'), defaultAddressSettings),
      'exact',
    );
  });

  test('subaddressing can be turned off or use another separator', () => {
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob+tag@x.com'), noTags), undefined);
    const dash: AddressSettings = { localPartCase: 'insensitive', subaddressSeparator: '-' };
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob-tag@x.com'), dash), 'subaddress');
  });

  test('other domains and other people never match', () => {
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob@y.com'), defaultAddressSettings), undefined);
    assert.equal(matchAddress(addr('bob@x.com'), addr('bobby@x.com'), defaultAddressSettings), undefined);
    assert.equal(matchAddress(addr('bob@x.com'), addr('bob@sub.x.com'), defaultAddressSettings), undefined);
  });

  test('a leading separator is not a tag', () => {
    assert.equal(baseLocalPart('+bob', '+'), '+bob');
    assert.equal(baseLocalPart('bob+a+b', '+'), 'bob');
  });

  test('the store narrows by the lower-cased local part and its base', () => {
    assert.deepEqual(candidateLocals(addr('Bob+Tag@x.com'), defaultAddressSettings), ['bob+tag', 'bob']);
    assert.deepEqual(candidateLocals(addr('Bob@x.com'), defaultAddressSettings), ['bob']);
  });
});

describe('settings and project keys', () => {
  test('config.directory is read with defaults', () => {
    assert.deepEqual(addressSettingsFrom({}), defaultAddressSettings);
    assert.deepEqual(addressSettingsFrom({ directory: { localPartCase: 'sensitive' } }), {
      localPartCase: 'sensitive',
      subaddressSeparator: '+',
    });
    assert.deepEqual(addressSettingsFrom({ directory: { subaddressSeparator: '' } }).subaddressSeparator, '');
  });

  test('project IDs compare without dashes and case (GC003, gc-003 → GC-003)', () => {
    assert.equal(projectKey('GC-003'), 'GC003');
    assert.equal(projectKey('gc003'), 'GC003');
  });
});

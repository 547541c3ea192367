import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedResolver } from '../../src/decide/identify/cached-resolver.ts';

const failure = (code: string): Error => Object.assign(new Error(code), { code });

test('DNS answers, "not found" and failures are each asked once, then served from the cache', async () => {
  const asked: string[] = [];
  const resolve = cachedResolver(async (name, rrtype) => {
    asked.push(`${rrtype} ${name}`);
    if (name.startsWith('_dmarc.missing')) throw failure('ENOTFOUND');
    if (name.startsWith('_dmarc.down')) throw failure('ETIMEOUT');
    return [['v=DMARC1; p=reject']];
  });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await resolve('_dmarc.example.com', 'TXT'), [['v=DMARC1; p=reject']]);
    await assert.rejects(resolve('_dmarc.missing.example', 'TXT'), /ENOTFOUND/);
    await assert.rejects(resolve('_dmarc.down.example', 'TXT'), /ETIMEOUT/);
  }
  assert.deepEqual(asked, ['TXT _dmarc.example.com', 'TXT _dmarc.missing.example', 'TXT _dmarc.down.example']);
  await resolve('_DMARC.Example.com', 'TXT');
  assert.equal(asked.length, 3, 'names compare without case');
  await resolve('example.com', 'MX');
  assert.equal(asked.length, 4, 'another record type is another question');
});

// The signature cache on an injected clock: one signature per distinct RRset and key, refreshed
// when too little validity is left, bounded by entry count.
import { describe, expect, it } from 'vitest';
import { keyMaterialFromSecret } from '../src/dnssec/algorithm.js';
import { makeKey } from '../src/dnssec/keys.js';
import { SignatureCache } from '../src/dnssec/signature-cache.js';
import { verifyRrsig } from '../src/dnssec/sign.js';
import type { RRset } from '../src/wire/rr.js';

const key = makeKey('example.test', 257, keyMaterialFromSecret(15, Buffer.alloc(32, 1)), {});
const other = makeKey('example.test', 256, keyMaterialFromSecret(15, Buffer.alloc(32, 2)), {});
const a = (address: string) =>
  ({ kind: 'a', address, bytes: Uint8Array.from(address.split('.').map(Number)) }) as const;
const set = (name: string, ttl: number, ...addrs: string[]): RRset => ({
  name,
  type: 1,
  ttl,
  rdata: addrs.map(a),
});

const DAY = 86400_000;
const START = Date.UTC(2026, 11, 1);

function cache(maxEntries = 10) {
  const clock = { now: START };
  const c = new SignatureCache({
    maxEntries,
    refreshFraction: 0.25,
    params: { validity: 8 * 86400, inceptionBackdate: 3600 },
    now: () => clock.now,
  });
  return { c, clock };
}

describe('SignatureCache', () => {
  it('signs a distinct RRset once: same addresses in another order or letter case share it', () => {
    const { c } = cache();
    const first = c.sign(set('www.example.test', 60, '192.0.2.1', '192.0.2.2'), key);
    expect(c.sign(set('WWW.example.test', 60, '192.0.2.2', '192.0.2.1'), key)).toBe(first);
    expect(c.stats).toEqual({ hits: 1, misses: 1, refreshes: 0, evictions: 0 });
    expect(
      verifyRrsig(
        set('www.example.test', 60, '192.0.2.2', '192.0.2.1'),
        first,
        key.material.publicKey,
      ),
    ).toBe(true);
  });

  it('another TTL, address set, owner or key is another signature', () => {
    const { c } = cache();
    c.sign(set('www.example.test', 60, '192.0.2.1'), key);
    c.sign(set('www.example.test', 30, '192.0.2.1'), key);
    c.sign(set('www.example.test', 60, '192.0.2.1', '192.0.2.2'), key);
    c.sign(set('web.example.test', 60, '192.0.2.1'), key);
    c.sign(set('www.example.test', 60, '192.0.2.1'), other);
    expect(c.stats).toEqual({ hits: 0, misses: 5, refreshes: 0, evictions: 0 });
    expect(c.size).toBe(5);
  });

  it('re-signs once less than a quarter of the validity is left, with a new inception', () => {
    const { c, clock } = cache();
    const rrset = set('www.example.test', 60, '192.0.2.1');
    const first = c.sign(rrset, key);
    // 8 days of validity: kept while at least 2 days are left, i.e. up to 6 days after signing.
    clock.now = START + 6 * DAY;
    expect(c.sign(rrset, key)).toBe(first);
    clock.now = START + 6 * DAY + 1000;
    const second = c.sign(rrset, key);
    expect(second).not.toBe(first);
    expect(second.inception - first.inception).toBe(6 * 86400 + 1);
    expect(second.expiration - first.expiration).toBe(6 * 86400 + 1);
    expect(c.stats).toEqual({ hits: 1, misses: 1, refreshes: 1, evictions: 0 });
  });

  it('re-signs when the clock went back before the inception', () => {
    const { c, clock } = cache();
    const rrset = set('www.example.test', 60, '192.0.2.1');
    const first = c.sign(rrset, key);
    clock.now = START - 3600_000; // exactly the backdated inception: still valid
    expect(c.sign(rrset, key)).toBe(first);
    clock.now = START - 3601_000;
    expect(c.sign(rrset, key)).not.toBe(first);
    expect(c.stats.refreshes).toBe(1);
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const { c } = cache(2);
    const one = set('one.example.test', 60, '192.0.2.1');
    const two = set('two.example.test', 60, '192.0.2.2');
    const three = set('three.example.test', 60, '192.0.2.3');
    const sigOne = c.sign(one, key);
    c.sign(two, key);
    c.sign(one, key); // one is now the most recent
    c.sign(three, key); // evicts two
    expect(c.size).toBe(2);
    expect(c.sign(one, key)).toBe(sigOne);
    c.sign(two, key);
    expect(c.stats).toEqual({ hits: 2, misses: 4, refreshes: 0, evictions: 2 });
  });

  it('rejects bounds that make no sense', () => {
    expect(() => new SignatureCache({ maxEntries: 0 })).toThrow(
      'maxEntries must be a positive integer',
    );
    expect(() => new SignatureCache({ refreshFraction: 1 })).toThrow(
      'refreshFraction must be between 0 and 1',
    );
  });
});

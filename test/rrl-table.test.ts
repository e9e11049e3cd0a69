// The RRL bucket table on its own, with the clock injected: networks by prefix (IPv6 /56 has no
// loopback to test over sockets), BIND's window, and a flood from more networks than buckets.
import { describe, expect, it } from 'vitest';
import { defaultRrlConfig } from '../src/server/rrl-config.js';
import { nameHash, RateLimiter, RrlAction, RrlClass, type RrlOptions } from '../src/server/rrl.js';

const WWW = nameHash('www.example.test');

function limiter(over: Partial<RrlOptions>, clock: { t: number }) {
  return new RateLimiter(
    { ...defaultRrlConfig(), responsesPerSecond: 5, slip: 2, allow: [], ...over },
    () => clock.t,
  );
}

const actions = (l: RateLimiter, addresses: string[], n: number) =>
  Array.from({ length: n }, (_, i) =>
    l.check(addresses[i % addresses.length]!, RrlClass.Answer, WWW),
  );
const count = (a: RrlAction[], x: RrlAction) => a.filter((y) => y === x).length;

describe('RRL buckets', () => {
  it('key IPv6 clients by /56: addresses in one /56 share a bucket, the next /56 does not', () => {
    const clock = { t: 0 };
    const l = limiter({}, clock);
    const same = actions(l, ['2001:db8:0:ff::1', '2001:db8:0:1::2', '2001:db8:0:80::3'], 9);
    expect(count(same, RrlAction.Send)).toBe(5);
    const next = actions(l, ['2001:db8:0:100::1'], 5);
    expect(count(next, RrlAction.Send)).toBe(5);
  });

  it('honour ipv4_prefix: /16 puts 10.1.x.y together', () => {
    const l = limiter({ ipv4Prefix: 16 }, { t: 0 });
    const a = actions(l, ['10.1.2.3', '10.1.200.4', '10.1.99.5'], 12);
    expect(count(a, RrlAction.Send)).toBe(5);
  });

  it('with a window, a network that flooded stays limited until its debt is paid', () => {
    const clock = { t: 0 };
    const l = limiter({ window: 3 }, clock);
    actions(l, ['192.0.2.1'], 100); // debt capped at 5 x (3 - 1) = 10 responses
    clock.t += 1000;
    expect(count(actions(l, ['192.0.2.1'], 5), RrlAction.Send)).toBe(0); // -10 + 5: still in debt
    clock.t += 1000;
    expect(count(actions(l, ['192.0.2.1'], 5), RrlAction.Send)).toBe(0); // the same again
    clock.t += 3000; // -10 + 15: credit again, capped at one second's worth
    expect(count(actions(l, ['192.0.2.1'], 5), RrlAction.Send)).toBe(5);
  });

  it('stay bounded: a flood from more networks than buckets neither grows nor breaks the table', () => {
    const clock = { t: 0 };
    const l = limiter({ tableSize: 1024 }, clock);
    for (let i = 0; i < 50_000; i++)
      l.check(`10.${(i >> 8) & 0xff}.${i & 0xff}.1`, RrlClass.Nxdomain, nameHash('example.test'));
    // A network seen now is limited from its own bucket, as always.
    const a = actions(l, ['203.0.113.9'], 9);
    expect([count(a, RrlAction.Send), count(a, RrlAction.Slip), count(a, RrlAction.Drop)]).toEqual([
      5, 2, 2,
    ]);
  });

  it('never limit allowed networks', () => {
    const l = limiter({ allow: [{ bytes: Uint8Array.of(198, 51, 100, 0), length: 24 }] }, { t: 0 });
    expect(count(actions(l, ['198.51.100.77'], 50), RrlAction.Send)).toBe(50);
  });
});

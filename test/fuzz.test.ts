// The CI fuzz pass (docs/fuzzing.md): 50,000 packets from a fixed seed, over UDP and TCP, against
// a real server on loopback. Every reply must decode with dns-packet with no trailing octet, echo
// the query, fit the UDP size the query allows; no reply to QR=1; the server never stops
// answering. A failure prints each finding with the packet in hex for `npm run fuzz -- --replay`.
import { expect, it } from 'vitest';
import { findingLine } from '../fuzz/report.js';
import { fuzz } from '../fuzz/run.js';

const PACKETS = 50_000;

it('fuzzes 50,000 packets over UDP and TCP with no finding', async () => {
  const report = await fuzz({
    seed: 20260901,
    packets: PACKETS,
    // A bound, not a target: about 10 s on two idle cores.
    seconds: 100,
    transports: ['udp', 'tcp'],
  });
  expect(report.findings.slice(0, 20).map(findingLine), report.summary()).toEqual([]);
  // Every packet went out: a pass cut short by the time bound fuzzed less than it claims.
  expect(report.sent.udp + report.sent.tcp).toBe(PACKETS);
  expect(report.sent.tcp).toBeGreaterThan(PACKETS / 5);
  expect(report.streams).toBeGreaterThan(1000);
  // The mix reached every kind of reply, not only FORMERR.
  expect([...report.rcodes.keys()]).toEqual(
    expect.arrayContaining(['NOERROR', 'NXDOMAIN', 'REFUSED', 'FORMERR', 'NOTIMP', 'BADVERS']),
  );
}, 150_000);

// Differential test of `steer: weighted` with `group: site` against gdnsd's weighted plugin in its
// grouped single mode (gdnsd-plugin-weighted(8)), the mode operators migrating from gdnsd use:
// the same two groups of addresses, asked the same A question over UDP on 127.0.0.1.
//
// gdnsd picks a group at random by weight, geosteer in a deterministic rotation, so the two are
// compared on what every answer must be, not on the order: each answer is exactly one group's
// up addresses (never a mix, never a down address), and over 40 answers both give each group.
// With equal address weights gdnsd includes every up address of the chosen group (odds
// weight / largest weight = 1), as geosteer always does.
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, udpExchange } from './helpers/dns-client.js';
import { startGdnsd, type GdnsdServer } from './helpers/gdnsd.js';
import { startServer, type TestServer } from './helpers/server.js';
import { TestHealthTable } from './helpers/health.js';

const ORIGIN = 'weighted.example';
const GROUPS = {
  fra: ['192.0.2.10', '192.0.2.11', '192.0.2.12'],
  iad: ['198.51.100.10', '198.51.100.11'],
} as const;
/** Forced down on both servers: gdnsd by its admin_state file, geosteer by its health table. */
const DOWN = '192.0.2.12';

const gdnsdPlugins = [
  '  weighted => {',
  '    grouped => {',
  ...Object.entries(GROUPS).flatMap(([g, addrs]) => [
    `      ${g} => {`,
    ...addrs.map((a, i) => `        ${g}${i + 1} => [ ${a}, 1 ]`),
    '      }',
  ]),
  '    }',
  '  }',
];

// geosteer: each site's weight is its group's summed address weight, as gdnsd weighs groups.
const ZONE = [
  `zone: ${ORIGIN}`,
  'nameservers:',
  '  ns1.example.net.:',
  'sites:',
  ...Object.entries(GROUPS).flatMap(([g, addrs]) => [
    `  ${g}:`,
    `    weight: ${addrs.length}`,
    `    addresses: [${addrs.join(', ')}]`,
  ]),
  'records:',
  '  www:',
  '    steer: weighted',
  `    sites: [${Object.keys(GROUPS).join(', ')}]`,
  '    group: site',
  '',
].join('\n');

let gdnsd: GdnsdServer;
let geosteer: TestServer;
const health = new TestHealthTable();

beforeAll(async () => {
  gdnsd = await startGdnsd({
    origin: ORIGIN,
    plugins: { config: gdnsdPlugins, www: 'www 30 DYNA weighted!grouped' },
    adminState: [`${DOWN}/up => DOWN`],
  });
  health.setAddress(ORIGIN, 'fra', DOWN, false);
  geosteer = await startServer({ [`${ORIGIN}.yaml`]: ZONE }, { health });
}, 30_000);
afterAll(async () => {
  await geosteer?.stop();
  await gdnsd?.stop();
});

async function answers(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const reply = await udpExchange(port, buildQuery(`www.${ORIGIN}`, 'A'));
    expect(reply).not.toBeNull();
    const m = dnsPacket.decode(reply!);
    out.push(
      (m.answers ?? [])
        .filter((a) => a.type === 'A')
        .map((a) => String((a as { data: unknown }).data))
        .sort()
        .join(' '),
    );
  }
  return out;
}

describe('weighted group: site against gdnsd grouped weighted', () => {
  const fra = GROUPS.fra.filter((a) => a !== DOWN).join(' ');
  const iad = [...GROUPS.iad].join(' ');

  it.each([
    ['gdnsd', () => gdnsd.port],
    ['geosteer', () => geosteer.port],
  ])(
    '%s: every answer is one group with its up addresses, and both groups answer',
    async (_, port) => {
      const got = await answers(port(), 40);
      for (const a of got) expect([fra, iad]).toContain(a);
      expect(new Set(got)).toEqual(new Set([fra, iad]));
    },
  );
});

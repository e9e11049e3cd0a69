// The parent role of steer: delegate, end to end over UDP and TCP (docs/delegation.md): a question
// at or below a delegated name gets a referral to the nameservers of the sites available now, with
// glue, AA clear, the record's TTL; down and drained sites are left out; when_all_down decides
// when none is available; DS at the cut is the parent's NODATA. Referrals change with health, so
// they go through the handler's memo of steered questions: repeated questions are replayed from
// it and still get the current nameservers.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestHealthTable } from './helpers/health.js';
import type { QueryEvent } from '../src/server/handler.js';
import { ecsOption } from './helpers/dns-client.js';
import { exchange, type Transport } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header, query, replyOpt, section, TYPE } from './helpers/wire.js';
import { GLUE, NS, PARENT, ZONE } from './delegate-fixture.js';

const health = new TestHealthTable();
let t: TestServer;
const events: QueryEvent[] = [];
beforeAll(async () => {
  t = await startServer({ 'gslb.example.com.yaml': PARENT }, { health });
  t.server.handler.onQuery = (e) => events.push(e);
});
afterAll(() => t.stop());
afterEach(async () => {
  health.setAdminStates([]);
  for (const [site, addrs] of Object.entries(ADDRESSES))
    for (const a of addrs) health.setAddress(ZONE, site, a, true);
  for (const o of health.listOverrides()) await health.clearOverride(o);
  events.length = 0;
});

const ADDRESSES = {
  'us-east': ['192.0.2.10', '192.0.2.11', '2001:db8:10::1'],
  'eu-west': ['198.51.100.10', '2001:db8:20::1'],
  'ap-south': ['203.0.113.10'],
} as const;
type SiteName = keyof typeof ADDRESSES;

/** Every address of the site down: fewer than min_healthy (1) up, so the site is unavailable. */
function down(site: SiteName): void {
  for (const a of ADDRESSES[site]) health.setAddress(ZONE, site, a, false);
}

const SOA = 'gslb.example.com 60 SOA ns1.gslb.example.com hostmaster.example.com 60';
const ALL: SiteName[] = ['us-east', 'eu-west', 'ap-south'];

async function ask(transport: Transport, name: string, type: keyof typeof TYPE, ecs?: string) {
  const options = ecs ? [ecsOption(ecs)] : [];
  const r = await exchange(
    transport,
    t.port,
    query(name, TYPE[type], { edns: { udpSize: 4096, options } }),
  );
  if (!r) throw new Error(`no ${transport} reply`);
  const p = decode(r);
  return {
    rcode: p.rcode,
    aa: header(r).aa,
    answer: section(p.answers),
    authority: section(p.authorities),
    additional: section(p.additionals),
    opt: replyOpt(r),
  };
}

/** The referral to these sites' nameservers, as `ask` returns it. */
function referral(sites: SiteName[]) {
  return {
    rcode: 'NOERROR',
    aa: false,
    answer: [],
    authority: sites.map((s) => NS[s]).sort(),
    additional: sites.flatMap((s) => GLUE[s]).sort(),
  };
}

describe.each(['udp', 'tcp'] as const)('the parent refers over %s', (transport) => {
  it.each([
    ['the delegated name', `edge.${ZONE}`, 'A'],
    ['AAAA at the delegated name', `edge.${ZONE}`, 'AAAA'],
    [
      'NS at the delegated name (the parent side is not authoritative for it)',
      `edge.${ZONE}`,
      'NS',
    ],
    ['a name below it that exists nowhere', `a.b.edge.${ZONE}`, 'A'],
    ['a nameserver name below it', `ns-eu-west.edge.${ZONE}`, 'A'],
  ] as const)('%s: NS of every available site, glue, AA clear', async (_what, name, type) => {
    expect(await ask(transport, name, type)).toMatchObject(referral(ALL));
  });

  it('in the letter case asked (0x20): names are compressed against the question', async () => {
    const r = await ask(transport, 'EdGe.GsLb.ExAmPlE.cOm', 'TXT');
    const lower = (lines: string[]) => lines.map((l) => l.toLowerCase()).sort();
    const want = referral(ALL);
    expect({ ...r, authority: lower(r.authority), additional: lower(r.additional) }).toMatchObject({
      ...want,
      authority: lower(want.authority),
      additional: lower(want.additional),
    });
  });

  it('DS at the cut is answered by the parent: NODATA with its SOA, AA set (RFC 4035 3.1.4.1)', async () => {
    expect(await ask(transport, `edge.${ZONE}`, 'DS')).toMatchObject({
      rcode: 'NOERROR',
      aa: true,
      answer: [],
      authority: [SOA],
      additional: [],
    });
  });

  it('DS below the cut is referred', async () => {
    expect(await ask(transport, `x.edge.${ZONE}`, 'DS')).toMatchObject(referral(ALL));
  });
});

describe('down and drained sites are left out of the referral', () => {
  it('a site whose addresses are all down', async () => {
    down('eu-west');
    expect(await ask('udp', `edge.${ZONE}`, 'A')).toMatchObject(referral(['us-east', 'ap-south']));
  });

  it('a site with one address of three down stays in (min_healthy 1)', async () => {
    health.setAddress(ZONE, 'us-east', '192.0.2.10', false);
    expect(await ask('udp', `edge.${ZONE}`, 'A')).toMatchObject(referral(ALL));
  });

  it('a site drained by an override, and one forced down', async () => {
    await health.setOverride({ zone: ZONE, site: 'us-east' }, 'drain');
    await health.setOverride({ zone: ZONE, site: 'ap-south' }, 'down');
    expect(await ask('udp', `edge.${ZONE}`, 'A')).toMatchObject(referral(['eu-west']));
  });

  it('a site drained administratively', async () => {
    health.setAdminStates([{ zone: ZONE, site: 'ap-south', state: 'drain' }]);
    expect(await ask('tcp', `edge.${ZONE}`, 'A')).toMatchObject(referral(['us-east', 'eu-west']));
  });

  it('through a CNAME: the CNAME with AA, then the referral of the sites available', async () => {
    down('us-east');
    expect(await ask('udp', `www.${ZONE}`, 'A')).toMatchObject({
      ...referral(['eu-west', 'ap-south']),
      aa: true,
      answer: [`www.${ZONE} 300 CNAME edge.${ZONE}`],
    });
  });
});

describe('when_all_down', () => {
  it('serve_all (the default): every site that is not drained', async () => {
    down('us-east');
    down('eu-west');
    health.setAdminStates([{ zone: ZONE, site: 'ap-south', state: 'drain' }]);
    expect(await ask('udp', `edge.${ZONE}`, 'A')).toMatchObject(referral(['us-east', 'eu-west']));
  });

  it('serve_all with every site drained: every site', async () => {
    health.setAdminStates(ALL.map((site) => ({ zone: ZONE, site, state: 'drain' as const })));
    expect(await ask('udp', `edge.${ZONE}`, 'A')).toMatchObject(referral(ALL));
  });

  it('nodata: the parent answers NODATA with its SOA, AA set, for any name at or below the cut', async () => {
    down('eu-west');
    await health.setOverride({ zone: ZONE, site: 'ap-south' }, 'down');
    for (const name of [`api.${ZONE}`, `x.api.${ZONE}`])
      expect(await ask('udp', name, 'A')).toMatchObject({
        rcode: 'NOERROR',
        aa: true,
        answer: [],
        authority: [SOA],
        additional: [],
      });
  });

  it('nodata record with one site available: its referral only', async () => {
    down('eu-west');
    expect(await ask('udp', `api.${ZONE}`, 'A')).toMatchObject({
      ...referral(['ap-south']),
      authority: ['api.gslb.example.com 30 NS ns.ap-south.example.net'],
    });
  });
});

describe('the memo of steered questions replays referrals', () => {
  it('repeated questions are answered from the memo and follow every health change', async () => {
    const steps: [() => void | Promise<void>, SiteName[]][] = [
      [() => {}, ALL],
      [() => down('us-east'), ['eu-west', 'ap-south']],
      [() => health.setOverride({ zone: ZONE, site: 'ap-south' }, 'drain'), ['eu-west']],
      [() => health.setAddress(ZONE, 'us-east', '192.0.2.11', true), ['us-east', 'eu-west']],
      [
        () => health.clearOverride({ zone: ZONE, site: 'ap-south' }),
        ['us-east', 'eu-west', 'ap-south'],
      ],
      [() => down('eu-west'), ['us-east', 'ap-south']],
      [() => health.setAddress(ZONE, 'eu-west', '2001:db8:20::1', true), ALL],
    ];
    for (const [change, want] of steps) {
      await change();
      // Three times each: the first may encode a new decision; the others are memo hits.
      for (let i = 0; i < 3; i++)
        expect(await ask('udp', `edge.${ZONE}`, 'A')).toMatchObject(referral(want));
    }
    expect(events.filter((e) => e.cached).length).toBeGreaterThanOrEqual(steps.length * 2);
  });

  it('each reply is counted as the delegate policy with the sites referred to', async () => {
    down('ap-south');
    await ask('udp', `edge.${ZONE}`, 'A');
    await ask('udp', `edge.${ZONE}`, 'A');
    expect(events.map((e) => [e.policy, e.sites])).toEqual([
      ['delegate', ['us-east', 'eu-west']],
      ['delegate', ['us-east', 'eu-west']],
    ]);
  });

  it('with ECS the referral holds for every client: scope /0', async () => {
    for (const subnet of ['198.51.100.0/24', '203.0.113.0/24']) {
      const r = await ask('udp', `edge.${ZONE}`, 'A', subnet);
      expect(r).toMatchObject(referral(ALL));
      expect(r.opt?.options.map((o) => o.data[3])).toEqual([0]);
    }
  });
});

describe('the rest of the zone is served as before', () => {
  it.each([
    ['static data', `static.${ZONE}`, 'A', [`static.${ZONE} 300 A 192.0.2.1`]],
    [
      'a site nameserver beside the cut: its addresses, with authority',
      `ns.us-east.${ZONE}`,
      'AAAA',
      [`ns.us-east.${ZONE} 300 AAAA 2001:db8:10::53`],
    ],
  ] as const)('%s', async (_what, name, type, answer) => {
    expect(await ask('udp', name, type)).toMatchObject({ rcode: 'NOERROR', aa: true, answer });
  });
});

// steer: delegate as compiled data (docs/delegation.md): the cut, its NS and glue, the referral
// decision as health changes (decideReferral), and the child zones a site's instance serves
// (siteZones). The answers on the wire are in delegate-parent and delegate-site.
import { describe, expect, it, vi } from 'vitest';
import { HealthTable } from '../src/health/table.js';
import { TestHealthTable } from './helpers/health.js';
import { decideReferral, type Delegation } from '../src/policy/referral.js';
import { SteerState } from '../src/policy/state.js';

/** The rotations and remembered referrals, as a server keeps them per zone generation. */
const state = new SteerState();
import { siteZones } from '../src/zone/site-zones.js';
import { ZoneImages } from '../src/threads/zone-share.js';
import { ImageNodes } from '../src/zone/image.js';
import { zoneFromShare } from '../src/zone/share.js';
import { Type } from '../src/wire/constants.js';
import type { RData } from '../src/wire/rr.js';
import { formatProblem } from '../src/base/errors.js';
import { exportZone } from '../src/zone/export.js';
import { compileText } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';
import { PARENT, ZONE } from './delegate-fixture.js';

function compile(text: string): Zone {
  const r = compileText('zones/gslb.example.com.yaml', text);
  expect(r.problems.map(formatProblem)).toEqual([]);
  return r.zone!;
}

const zone = compile(PARENT);
const delegation = (name: string): Delegation => zone.nodes.get(`${name}.${ZONE}`)!.delegation!;
const names = (rdata: readonly RData[]) => rdata.map((r) => (r as { name: string }).name);
const edge = delegation('edge');
const api = delegation('api');

describe('steer: delegate compiles to a zone cut', () => {
  it("the delegated name is a cut whose NS are its sites' nameservers, in the order listed", () => {
    const node = zone.nodes.get(`edge.${ZONE}`)!;
    expect(node.cut).toBe(true);
    expect(node.dynamic).toBeNull();
    expect(zone.hasCuts).toBe(true);
    expect(edge.kind).toBe('delegate');
    expect(edge.ttl).toBe(20);
    expect(edge.whenAllDown).toBe('serve_all');
    expect(edge.members.map((s) => s.name)).toEqual(['us-east', 'eu-west', 'ap-south']);
    const ns = node.rrsets.get(Type.NS)!;
    expect(ns.ttl).toBe(20);
    expect(names(ns.rdata)).toEqual([
      'ns.us-east.gslb.example.com',
      'ns-eu-west.edge.gslb.example.com',
      'ns.ap-south.example.net',
    ]);
    expect(api.whenAllDown).toBe('nodata');
    expect(api.ttl).toBe(30);
  });

  it('in-zone site nameservers get their addresses as records: served beside the cut, glue below it', () => {
    const sibling = zone.nodes.get(`ns.us-east.${ZONE}`)!;
    expect(sibling.occluded).toBe(false);
    expect([...sibling.rrsets.keys()]).toEqual([Type.A, Type.AAAA]);
    const below = zone.nodes.get(`ns-eu-west.edge.${ZONE}`)!;
    expect(below.occluded).toBe(true);
    expect(below.rrsets.get(Type.A)!.rdata).toEqual([
      expect.objectContaining({ address: '198.51.100.153' }),
    ]);
    // A nameserver in another zone has no records here.
    expect([...zone.nodes.keys()].some((k) => k.includes('ap-south'))).toBe(false);
  });

  it('exports the full NS set and the glue', () => {
    const text = exportZone(zone);
    expect(text).toContain('edge.gslb.example.com.\t20\tIN\tNS\tns.ap-south.example.net.');
    expect(text).toContain('ns-eu-west.edge.gslb.example.com.\t300\tIN\tA\t198.51.100.153');
    expect(text).toContain('ns.us-east.gslb.example.com.\t300\tIN\tAAAA\t2001:db8:10::53');
  });

  it.each([
    ['when_all_down', PARENT.replace('when_all_down: nodata', 'when_all_down: serve_all')],
    ['a nameserver address', PARENT.replace('198.51.100.153', '198.51.100.154')],
    [
      'the sites of a delegation',
      PARENT.replace('sites: [eu-west, ap-south]', 'sites: [ap-south, eu-west]'),
    ],
  ])('a change to %s moves the serial', (_what, text) => {
    const serial = (z: Zone) => (z.soa.rdata[0] as { serial: number }).serial;
    expect(serial(compile(text))).not.toBe(serial(zone));
  });
});

describe('decideReferral: the nameservers of the available sites', () => {
  it('refers to every available site, in the order listed, scope 0, the record TTL', () => {
    const d = decideReferral(edge, new HealthTable(), null, state);
    expect(d).toMatchObject({
      mode: 'policy',
      ttl: 20,
      scope: 0,
      sites: ['us-east', 'eu-west', 'ap-south'],
    });
    expect(d.rdata).toEqual(edge.nameservers);
  });

  it('leaves out a drained site (health table) and a site forced down (override)', async () => {
    const health = new TestHealthTable();
    health.setAdminStates([{ zone: ZONE, site: 'us-east', state: 'drain' }]);
    expect(decideReferral(edge, health, null, state).sites).toEqual(['eu-west', 'ap-south']);
    await health.setOverride({ zone: ZONE, site: 'ap-south' }, 'down');
    expect(decideReferral(edge, health, null, state).sites).toEqual(['eu-west']);
    expect(names(decideReferral(edge, health, null, state).rdata)).toEqual([
      'ns-eu-west.edge.gslb.example.com',
    ]);
  });

  it('leaves out a site drained in the zone file', () => {
    const z = compile(
      PARENT.replace(
        '    addresses: [203.0.113.10]',
        '    state: drain\n    addresses: [203.0.113.10]',
      ),
    );
    const d = decideReferral(
      z.nodes.get(`edge.${ZONE}`)!.delegation!,
      new HealthTable(),
      null,
      state,
    );
    expect(d.sites).toEqual(['us-east', 'eu-west']);
  });

  it('none available, serve_all: every site not drained; every site when all are drained', async () => {
    const health = new TestHealthTable();
    health.setAdminStates([{ zone: ZONE, site: 'us-east', state: 'drain' }]);
    await health.setOverride({ zone: ZONE, site: 'eu-west' }, 'down');
    await health.setOverride({ zone: ZONE, site: 'ap-south' }, 'down');
    expect(decideReferral(edge, health, null, state)).toMatchObject({
      mode: 'serve_all',
      sites: ['eu-west', 'ap-south'],
    });
    health.setAdminStates(
      ['us-east', 'eu-west', 'ap-south'].map((site) => ({
        zone: ZONE,
        site,
        state: 'drain' as const,
      })),
    );
    expect(decideReferral(edge, health, null, state)).toMatchObject({
      mode: 'serve_all',
      sites: ['us-east', 'eu-west', 'ap-south'],
    });
  });

  it('none available, nodata: no nameservers (the resolver answers NODATA)', async () => {
    const health = new HealthTable();
    await health.setOverride({ zone: ZONE, site: 'eu-west' }, 'down');
    expect(decideReferral(api, health, null, state)).toMatchObject({
      mode: 'policy',
      sites: ['ap-south'],
    });
    await health.setOverride({ zone: ZONE, site: 'ap-south' }, 'drain');
    expect(decideReferral(api, health, null, state)).toMatchObject({
      mode: 'nodata',
      sites: [],
      rdata: [],
    });
  });

  it('gives the same decision object until the health table changes', async () => {
    const health = new HealthTable();
    const first = decideReferral(edge, health, null, state);
    expect(decideReferral(edge, health, null, state)).toBe(first);
    await health.setOverride({ zone: ZONE, site: 'us-east' }, 'down');
    const second = decideReferral(edge, health, null, state);
    expect(second).not.toBe(first);
    expect(second.sites).toEqual(['eu-west', 'ap-south']);
  });

  it('traces each site when asked (explain), without caching', () => {
    const trace: string[] = [];
    decideReferral(api, new HealthTable(), trace, state);
    expect(trace).toEqual([
      'site eu-west (nameserver ns-eu-west.edge.gslb.example.com): available',
      'site ap-south (nameserver ns.ap-south.example.net): available',
      'referral: eu-west, ap-south (2 nameserver(s)), TTL 30',
    ]);
  });
});

describe("siteZones: the child zones a site's instance serves", () => {
  it('one child zone per delegation that lists the site', () => {
    const east = siteZones([zone], 'us-east', 'zones');
    expect(east.problems).toEqual([]);
    expect(east.zones.map((z) => z.origin)).toEqual([`edge.${ZONE}`]);
    const west = siteZones([zone], 'eu-west', 'zones');
    expect(west.zones.map((z) => z.origin)).toEqual([`edge.${ZONE}`, `api.${ZONE}`]);
  });

  it("SOA from the parent with this site's nameserver as MNAME; NS of every site; A/AAAA of this site", () => {
    const [child] = siteZones([zone], 'eu-west', 'zones').zones;
    const parentSoa = zone.soa.rdata[0] as Extract<RData, { kind: 'soa' }>;
    expect(child!.soa).toEqual({
      name: `edge.${ZONE}`,
      type: Type.SOA,
      ttl: 300,
      rdata: [{ ...parentSoa, mname: 'ns-eu-west.edge.gslb.example.com' }],
    });
    expect(child!.negativeSoa.ttl).toBe(60);
    expect(names(child!.ns.rdata)).toEqual(names(edge.ns.rdata));
    const apex = child!.nodes.get(`edge.${ZONE}`)!;
    expect(apex.dynamic!.members.map((s) => s.name)).toEqual(['eu-west']);
    expect(apex.dynamic!.zone).toBe(ZONE);
    // The nameserver below the child apex is the child's to serve; nothing else is there.
    expect([...child!.nodes.keys()].sort()).toEqual([`edge.${ZONE}`, `ns-eu-west.edge.${ZONE}`]);
    expect(child!.sites.size).toBe(0);
  });

  it('from a zone image, reads only its delegations: the same child zones, no static node decoded', () => {
    // The main thread derives a site's child zones on every reload: from an image (a big parent
    // compiled off thread) it must not cost a decode of every node of the parent.
    const image = zoneFromShare(new ZoneImages().share([zone])[0]!);
    const walk = vi.spyOn(ImageNodes.prototype, 'entries');
    try {
      const r = siteZones([image], 'eu-west', 'zones');
      expect(walk).not.toHaveBeenCalled();
      expect(r.zones.map((z) => [...z.nodes.keys()])).toEqual(
        siteZones([zone], 'eu-west', 'zones').zones.map((z) => [...z.nodes.keys()]),
      );
      expect(r.zones[0]!.nodes.get(`ns-eu-west.edge.${ZONE}`)!.rrsets.get(Type.A)!.rdata).toEqual([
        expect.objectContaining({ address: '198.51.100.153' }),
      ]);
    } finally {
      walk.mockRestore();
    }
  });

  it('rejects a site no zone declares, naming the ones declared', () => {
    const r = siteZones([zone], 'mars', 'zones');
    expect(r.problems.map(formatProblem)).toEqual([
      'zones:1:1: site "mars" (--site, or site: in the configuration) is not declared under sites: in any zone (declared: us-east, eu-west, ap-south) [unknown-site]',
    ]);
  });

  it('a declared site that no delegation lists serves no child zone', () => {
    const z = compile(
      PARENT.replace(
        'sites:\n  us-east:',
        'sites:\n  spare:\n    addresses: [192.0.2.99]\n  us-east:',
      ),
    );
    expect(siteZones([z], 'spare', 'zones')).toEqual({ zones: [], problems: [] });
  });

  it('rejects a child zone also defined by a zone file', () => {
    const file = compileText(
      'zones/edge.yaml',
      'zone: edge.gslb.example.com\nnameservers:\n  ns.example.net.:\n',
    ).zone!;
    const r = siteZones([zone, file], 'us-east', 'zones');
    expect(r.problems.map(formatProblem)).toEqual([
      'zones/edge.yaml:1:1: zone edge.gslb.example.com is also delegated by zones/gslb.example.com.yaml (records: edge.gslb.example.com, steer: delegate), whose child zone this instance serves as site us-east: keep one of them [duplicate-zone]',
    ]);
  });
});

// Zone images (docs/architecture.md#zone-images): what an answer thread installs must answer
// exactly as the zone the main thread compiled. Every node of a zone with every record type, a
// cut with glue, a wildcard and steered names is read back through the image and compared.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InstalledZones, ZoneImages } from '../src/threads/zone-share.js';
import { encodeImage, ImageNodes, IMAGE_CACHE_NODES } from '../src/zone/image.js';
import { compileOffThread } from '../src/zone/compile-off-thread.js';
import { compileText, OFF_THREAD_OCTETS } from '../src/zone/load.js';
import { ZONE_LIMITS } from '../src/zone/limits.js';
import type { Zone } from '../src/zone/zone.js';

const ZONE = `
zone: img.test
ttl: 300
nameservers:
  ns1.img.test: [192.0.2.53, 2001:db8::53]
sites:
  fra: { addresses: [192.0.2.10, 2001:db8::10], location: { lat: 50.1, lon: 8.7 } }
  ams: { addresses: [192.0.2.20], location: { lat: 52.4, lon: 4.9 } }
records:
  '@': { MX: ['10 mail.img.test'], TXT: ['v=spf1 -all', 'two "quoted" words'], CAA: ['0 issue "ca.example"'] }
  www: { A: [192.0.2.1, 192.0.2.2], AAAA: ['2001:db8::1'], ttl: 60 }
  alias: { CNAME: www }
  _sip._udp: { SRV: ['10 20 5060 sip.img.test'] }
  1.2.0.192.rev: { PTR: [www.img.test] }
  '*.wild': { A: [192.0.2.99] }
  deep.a.b.c: { TXT: [x] }
  sub: { NS: [ns.sub.img.test] }
  ns.sub: { A: [192.0.2.77] }
  app:
    steer: weighted
    sites: { fra: 1, ams: 3 }
    TXT: [steered name with a static record]
  near: { steer: nearest, sites: [fra, ams] }
`;

function compile(file: string, text: string): Zone {
  const r = compileText(file, text);
  expect(r.problems).toEqual([]);
  return r.zone!;
}

/**
 * The compiler keeps some octets (TXT, CAA) in Buffers; the image gives them back as Uint8Arrays,
 * the type RData declares, with the same octets (structured clone makes the same change).
 */
const bytesAsRead = <T>(x: T): T => structuredClone(x);

describe('zone image', () => {
  const zone = compile('img.test.yaml', ZONE);

  it('reads back every static node as compiled, and misses names that are not there', () => {
    const nodes = new ImageNodes(encodeImage(zone.nodes), new Map());
    let statics = 0;
    for (const [key, node] of zone.nodes) {
      if (node.dynamic || node.delegation) {
        expect(nodes.get(key)).toBeUndefined();
        continue;
      }
      statics++;
      expect(nodes.get(key)).toEqual(bytesAsRead(node));
      // A second read comes from the thread's cache, and is the same data.
      expect(nodes.get(key)).toEqual(bytesAsRead(node));
    }
    expect(statics).toBeGreaterThan(10);
    expect(nodes.size).toBe(statics);
    for (const miss of ['nope.img.test', 'x.wild.img.test', 'img.test.', 'IMG.TEST', ''])
      expect(nodes.has(miss)).toBe(false);
    expect(new Map(nodes)).toEqual(
      bytesAsRead(new Map([...zone.nodes].filter(([, n]) => !n.dynamic && !n.delegation))),
    );
  });

  it('keeps answering after its cache fills and is emptied', () => {
    const lines = ['zone: many.test', 'nameservers:', '  ns1.many.test: [192.0.2.53]', 'records:'];
    const n = IMAGE_CACHE_NODES + 500;
    for (let i = 0; i < n; i++) lines.push(`  h${i}: { A: [10.0.${(i >> 8) & 255}.${i & 255}] }`);
    const big = compile('many.test.yaml', lines.join('\n') + '\n');
    const nodes = new ImageNodes(encodeImage(big.nodes), new Map());
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < n; i += 7)
        expect(nodes.get(`h${i}.many.test`)?.rrsets.get(1)?.rdata).toEqual(
          big.nodes.get(`h${i}.many.test`)!.rrsets.get(1)!.rdata,
        );
  });

  it('installs in a thread as the compiled zone: static nodes from the image, steered ones as data', () => {
    const shares = new ZoneImages().share([zone]);
    // What crosses to a thread is data: structured clone keeps the shared memory shared.
    const [installed] = new InstalledZones().install(structuredClone(shares));
    expect(installed!.nodes.get('www.img.test')).toEqual(zone.nodes.get('www.img.test'));
    expect(installed!.nodes.get('img.test')).toEqual(bytesAsRead(zone.nodes.get('img.test')));
    const app = installed!.nodes.get('app.img.test')!;
    expect(app.dynamic?.kind).toBe('weighted');
    expect(app.dynamic?.members.map((m) => m.name)).toEqual(['fra', 'ams']);
    expect(app.rrsets).toEqual(bytesAsRead(zone.nodes.get('app.img.test')!.rrsets));
    // The steered records arrive as the compiled data, their members the zone's own sites.
    expect(app).toEqual(bytesAsRead(zone.nodes.get('app.img.test')));
    expect(app.dynamic!.members[1]).toBe(installed!.sites.get('ams'));
    expect(installed!.nodes.get('near.img.test')).toEqual(
      bytesAsRead(zone.nodes.get('near.img.test')),
    );
    expect(installed!.sites).toEqual(bytesAsRead(zone.sites));
    for (const k of [
      'origin',
      'key',
      'soa',
      'ns',
      'negativeSoa',
      'hasCuts',
      'fingerprint',
    ] as const)
      expect(installed![k]).toEqual(zone[k]);
  });

  it('makes an image once per compiled zone, and a thread reuses an unchanged zone as it is', () => {
    const images = new ZoneImages();
    const a = images.share([zone]);
    const b = images.share([zone]);
    expect(b[0]!.image).toBe(a[0]!.image);
    const thread = new InstalledZones();
    const [first] = thread.install(a);
    expect(thread.install(b)[0]).toBe(first);
    const edited = compile('img.test.yaml', ZONE.replace('192.0.2.1,', '192.0.2.3,'));
    const [next] = thread.install(images.share([edited]));
    expect(next).not.toBe(first);
    expect(next!.nodes.get('www.img.test')!.rrsets.get(1)!.rdata[0]).toMatchObject({
      address: '192.0.2.3',
    });
  });

  it('holds the example zone as compiled', async () => {
    const file = 'zones/gslb.example.com.yaml';
    const ex = compile(file, await readFile(file, 'utf8'));
    const [installed] = new InstalledZones().install(new ZoneImages().share([ex]));
    for (const [key, node] of ex.nodes)
      expect(installed!.nodes.get(key)).toEqual(bytesAsRead(node));
  });

  it('compiles a big file in a process of its own into the same zone, or the same problems', async () => {
    const lines = [ZONE.trimEnd()];
    for (let i = 0; lines.join('\n').length < OFF_THREAD_OCTETS * 2; i++)
      lines.push(`  n${i}: { A: [10.1.${(i >> 8) & 255}.${i & 255}], TXT: ['record ${i}'] }`);
    const text = lines.join('\n') + '\n';
    const here = compileText('big.yaml', text);
    const there = await compileOffThread('big.yaml', text, ZONE_LIMITS);
    expect(there.problems).toEqual([]);
    expect(there.zone!.fingerprint).toBe(here.zone!.fingerprint);
    expect(there.zone!.sites).toEqual(bytesAsRead(here.zone!.sites));
    for (const [key, node] of here.zone!.nodes)
      expect(there.zone!.nodes.get(key)).toEqual(bytesAsRead(node));

    const broken = text.replace('n7: { A: [10.1.0.7]', 'n7: { A: [10.1.0.700]');
    const bad = await compileOffThread('big.yaml', broken, ZONE_LIMITS);
    expect(bad.zone).toBeNull();
    expect(bad.problems).toEqual(compileText('big.yaml', broken).problems);
    expect(bad.problems.length).toBe(1);
  });
});

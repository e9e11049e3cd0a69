// The health verdict table answer threads read (src/threads/shared-verdicts.ts): written from a real
// HealthTable by the main thread's writer, read through the SharedArrayBuffer by a reader, as an
// answer thread does (test/threads.test.ts runs it across real threads of the real server).
import { describe, expect, it } from 'vitest';
import type { HealthTable } from '../src/health/table.js';
import { TestHealthTable } from './helpers/health.js';
import { VerdictReader, VerdictWriter } from '../src/threads/shared-verdicts.js';
import { compileText } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';

const ZONE = `zone: v.test
nameservers: { ns1.v.test: [192.0.2.53] }
sites:
  fra: { addresses: [192.0.2.1, '2001:db8::1'] }
  ams: { addresses: [192.0.2.2], min_healthy: 1 }
records:
  www: { steer: failover, groups: [[fra], [ams]] }
`;

function zone(text = ZONE): Zone {
  const r = compileText('v.test.yaml', text);
  if (!r.zone) throw new Error(JSON.stringify(r.problems));
  return r.zone;
}

/** Every answer of the HealthView for the zone's sites and addresses. */
function answers(h: VerdictReader | HealthTable, z: Zone): unknown[] {
  const out: unknown[] = [];
  for (const s of z.sites.values()) {
    out.push([s.name, h.siteAvailable(z.origin, s.name), h.siteDrained(z.origin, s.name)]);
    out.push(h.ttlCap(z.origin, s.name));
    for (const a of [...s.v4, ...s.v6])
      out.push([
        a.address,
        h.addressUp(z.origin, s.name, a.address),
        h.addressDrained(z.origin, s.name, a.address),
      ]);
  }
  return out;
}

describe('the shared verdict table', () => {
  it('reads what the health table says, and a change once the writer has copied it', async () => {
    const z = zone();
    const table = new TestHealthTable();
    const writer = new VerdictWriter(table);
    const reader = new VerdictReader(writer.layout([z]));
    expect(answers(reader, z)).toEqual(answers(table, z));
    const v0 = reader.version;

    await table.setOverride({ zone: 'v.test', site: 'fra' }, 'drain', 'test');
    table.setAddress('v.test', 'ams', '192.0.2.2', false);
    await table.setOverride({ zone: 'v.test', site: 'fra', address: '2001:db8::1' }, 'drain');
    writer.refresh();
    expect(reader.version).toBeGreaterThan(v0);
    expect(reader.siteAvailable('v.test', 'fra')).toBe(false);
    expect(reader.siteDrained('v.test', 'fra')).toBe(true);
    expect(reader.addressUp('v.test', 'ams', '192.0.2.2')).toBe(false);
    expect(reader.addressDrained('v.test', 'fra', '2001:db8::1')).toBe(true);
    expect(answers(reader, z)).toEqual(answers(table, z));

    // Nothing changed: the version stays, so the threads' memos stay.
    const v1 = reader.version;
    writer.refresh();
    expect(reader.version).toBe(v1);
  });

  it('a reload brings a table for the new zones; both are kept current until the switch', async () => {
    const table = new TestHealthTable();
    const writer = new VerdictWriter(table);
    const before = zone();
    const reader = new VerdictReader(writer.layout([before]));
    const after = zone(
      ZONE.replace('ams: { addresses: [192.0.2.2]', 'ams: { addresses: [192.0.2.3]'),
    );
    const next = writer.layout([after]);
    await table.setOverride({ zone: 'v.test', site: 'ams' }, 'down', 'test');
    writer.refresh();
    expect(reader.siteAvailable('v.test', 'ams')).toBe(false);
    const v = reader.version;
    reader.use(next);
    writer.retain(next);
    expect(reader.version).toBeGreaterThanOrEqual(v);
    expect(answers(reader, after)).toEqual(answers(table, after));
    // An address no zone of this generation has reads as a table without probes answers it.
    expect(reader.addressUp('v.test', 'ams', '192.0.2.2')).toBe(true);
    expect(reader.siteAvailable('other.test', 'x')).toBe(true);
    expect(reader.ttlCap('other.test', 'x')).toBe(Infinity);
  });
});

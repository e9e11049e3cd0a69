// A reload re-reads only the zone files whose stamp moved (device, inode, size, modification and
// change times), and recompiles only those whose text changed (src/zone/load.ts CompileCache).
// Real files in a temporary directory; the cache's clock is injected, so "read long after its
// last change" and "read within the racy second" are set by the test, not waited for.
import { mkdtemp, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Type } from '../src/wire/constants.js';
import { CompileCache, loadZoneDir, RACY_MS } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';

const zoneText = (origin: string, address: string) =>
  `zone: ${origin}\nnameservers:\n  ns1.${origin}: [192.0.2.53]\nrecords:\n  www: { A: [${address}] }\n`;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function zonesDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-stamp-'));
  dirs.push(dir);
  await writeFile(join(dir, 'a.test.yaml'), zoneText('a.test', '192.0.2.1'));
  await writeFile(join(dir, 'b.test.yaml'), zoneText('b.test', '192.0.2.2'));
  return dir;
}

/** The address of www in zone `origin`. */
function www(zones: readonly Zone[], origin: string): string {
  const z = zones.find((x) => x.origin === origin)!;
  const a = z.nodes.get(`www.${origin}`)!.rrsets.get(Type.A)!;
  return (a.rdata[0] as { address: string }).address;
}

/** The newest change time of the files, in ms: the clock is set relative to it. */
async function lastChange(dir: string): Promise<number> {
  const times = await Promise.all(
    ['a.test.yaml', 'b.test.yaml'].map(async (f) => (await stat(join(dir, f))).ctimeMs),
  );
  return Math.max(...times);
}

/** Write `text` to `file` until its change time differs from the one it had (bounded). */
async function editInLaterTick(file: string, text: string): Promise<void> {
  const before = (await stat(file, { bigint: true })).ctimeNs;
  for (let i = 0; i < 10_000; i++) {
    await writeFile(file, text);
    if ((await stat(file, { bigint: true })).ctimeNs !== before) return;
  }
  throw new Error(`${file}: its change time did not move in 10,000 writes`);
}

describe('reload: unchanged files are neither read nor compiled again', () => {
  it('skips files whose stamp has not moved, and reads the one that was edited', async () => {
    const dir = await zonesDir();
    let now = (await lastChange(dir)) + 5000;
    const cache = new CompileCache(false, () => now);
    const first = await loadZoneDir(dir, undefined, cache);
    expect(first.problems).toEqual([]);
    expect(cache.reads).toBe(2);

    const again = await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(2);
    // The same compiled zones, not copies: nothing was compiled.
    expect(again.zones[0]).toBe(first.zones[0]);
    expect(again.zones[1]).toBe(first.zones[1]);

    // An edit in place, same size: the change time moves, so the file is read and recompiled.
    // (The clock above says the files were read long after they were written; the edit must then
    // land in a later tick of the kernel's file clock than that write, as it would have.)
    await editInLaterTick(join(dir, 'b.test.yaml'), zoneText('b.test', '192.0.2.9'));
    now = (await lastChange(dir)) + 5000;
    const edited = await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(3);
    expect(edited.zones[0]).toBe(first.zones[0]);
    expect(www(edited.zones, 'b.test')).toBe('192.0.2.9');
  });

  it('reads a file read within the racy second of its last change again, even with the same stamp', async () => {
    const dir = await zonesDir();
    const changed = await lastChange(dir);
    // Read half the racy window after the change: a write in the same clock tick as the one read
    // would leave every timestamp as it was, so the stamp cannot be trusted yet.
    let now = changed + RACY_MS / 2;
    const cache = new CompileCache(false, () => now);
    await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(2);
    await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(4);
    // Read well after the change: from then on the stamp is trusted.
    now = changed + 2 * RACY_MS + 1000;
    await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(6);
    await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(6);
  });

  it('reads a touched file again but keeps its compiled zone when the text is the same', async () => {
    const dir = await zonesDir();
    let now = (await lastChange(dir)) + 5000;
    const cache = new CompileCache(false, () => now);
    const first = await loadZoneDir(dir, undefined, cache);
    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, 'a.test.yaml'), later, later);
    now = Math.max(now, (await lastChange(dir)) + 5000);
    const touched = await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(3);
    expect(touched.zones[0]).toBe(first.zones[0]);
  });

  it('a file replaced by a rename (a new inode) is read, whatever its times', async () => {
    const dir = await zonesDir();
    let now = (await lastChange(dir)) + 5000;
    const cache = new CompileCache(false, () => now);
    const first = await loadZoneDir(dir, undefined, cache);
    const old = await stat(join(dir, 'a.test.yaml'));
    // As an editor or a deploy tool does: write a new file, give it the old times, rename it in.
    const tmp = join(dir, '.a.test.yaml.tmp');
    await writeFile(tmp, zoneText('a.test', '192.0.2.7'));
    await utimes(tmp, old.atime, old.mtime);
    await rename(tmp, join(dir, 'a.test.yaml'));
    now = (await lastChange(dir)) + 5000;
    const replaced = await loadZoneDir(dir, undefined, cache);
    expect(cache.reads).toBe(3);
    expect(replaced.zones[0]).not.toBe(first.zones[0]);
    expect(www(replaced.zones, 'a.test')).toBe('192.0.2.7');
  });
});

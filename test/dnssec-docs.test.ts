// The command examples in docs/dnssec.md are run here, so the page cannot drift from the code.
// A ```text block whose first line is `$ geosteer dnssec CMD ZONE [flags]` holds exactly that
// command's output for the fixed keys below at 2026-12-04 12:00:00 UTC (key tags of `keygen`,
// being random, are compared as patterns). The ```text block after "<!-- compact-denial -->" is
// the NSEC of a compact NXDOMAIN answer for nx.gslb.example.com.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyMaterialFromSecret } from '../src/dnssec/algorithm.js';
import { ds, type Io, keygen, status } from '../src/dnssec/command.js';
import { compactDenialNsec } from '../src/dnssec/compact-denial.js';
import { writeKeyFiles } from '../src/dnssec/key-files.js';
import { makeKey } from '../src/dnssec/keys.js';
import { dnssecLines } from '../src/dnssec/present.js';
import { loadZoneFiles } from '../src/zone/load.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const ZONE = 'gslb.example.com';
const t = (iso: string) => Date.parse(iso) / 1000;
const secret = (s: string) => createHash('sha256').update(s).digest();

/** The keys the page's examples show: a KSK and a ZSK due to be retired. */
async function docKeys(dir: string): Promise<void> {
  const since = {
    created: t('2026-12-01T00:00:00Z'),
    publish: t('2026-12-01T00:00:00Z'),
    activate: t('2026-12-01T00:00:00Z'),
  };
  await writeKeyFiles(
    dir,
    makeKey(ZONE, 257, keyMaterialFromSecret(13, secret('geosteer docs ksk')), since),
  );
  await writeKeyFiles(
    dir,
    makeKey(ZONE, 256, keyMaterialFromSecret(13, secret('geosteer docs zsk')), {
      ...since,
      inactive: t('2027-03-01T00:00:00Z'),
      delete: t('2027-03-15T00:00:00Z'),
    }),
  );
}

const md = await readFile('docs/dnssec.md', 'utf8');
const blocks = [...md.matchAll(/^```text\n(\$ geosteer dnssec [^\n]*)\n([\s\S]*?)^```$/gm)].map(
  (m) => ({
    command: m[1]!.slice(2).split(/\s+/),
    output: m[2]!,
  }),
);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-docs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('docs/dnssec.md', () => {
  it('has examples of keygen, ds and status', () => {
    expect(blocks.map((b) => b.command[2])).toEqual(
      expect.arrayContaining(['keygen', 'ds', 'status']),
    );
  });

  it.each(blocks.map((b, i) => [b.command.join(' '), i] as const))('%s', async (_, i) => {
    const { command, output } = blocks[i]!;
    const [, , sub, zone, ...flags] = command;
    const dirFlag = flags.indexOf('--dir');
    const shownDir = dirFlag >= 0 ? flags[dirFlag + 1]! : 'keys';
    const dir = join(root, `run${i}`, shownDir);
    const out: string[] = [];
    const io: Io = { out: (s) => out.push(s), err: (s) => out.push(s), now: () => NOW };
    if (sub === 'keygen') {
      const alg = flags.indexOf('--algorithm');
      await keygen(
        zone!,
        { algorithm: alg >= 0 ? flags[alg + 1]! : '13', kskZsk: flags.includes('--ksk-zsk'), dir },
        io,
      );
    } else {
      await docKeys(dir);
      await (sub === 'ds' ? ds : status)(zone!, { dir }, io);
    }
    let text = out.join('').replaceAll(dir, shownDir);
    let want = output;
    if (sub === 'keygen') {
      const tags = (s: string) =>
        s.replace(/([CKZ]SK) \d+/g, '$1 TAG').replace(/\+(\d{3})\+\d{5}/g, '+$1+TAG');
      text = tags(text);
      want = tags(want);
    }
    expect(text).toBe(want);
  });

  it('shows the NSEC of a compact NXDOMAIN answer as the code makes it', () => {
    const block = /<!-- compact-denial -->\n+```text\n([\s\S]*?)^```$/m.exec(md);
    expect(block).not.toBeNull();
    const nsec = dnssecLines(compactDenialNsec('nx.gslb.example.com', { kind: 'nxdomain' }, 300));
    expect(block![1]).toContain(nsec[0]!.replaceAll('\t', ' ') + '\n');
  });

  it('the configuration example loads, with its key, as the values it states', async () => {
    const block = /^```yaml\n(# zones\/gslb\.example\.com\.yaml\n[\s\S]*?)^```$/m.exec(md);
    expect(block).not.toBeNull();
    const dir = join(root, 'config-example');
    await writeKeyFiles(
      join(dir, 'keys'),
      makeKey(ZONE, 257, keyMaterialFromSecret(13, secret('geosteer docs ksk')), {}),
    );
    const file = join(dir, 'gslb.example.com.yaml');
    await writeFile(file, block![1]!);
    const r = await loadZoneFiles([file]);
    expect(r.problems).toEqual([]);
    expect(r.zones[0]!.dnssec!.config).toMatchObject({
      keysDir: join(dir, 'keys'),
      validity: 14 * 86400,
      refresh: 3.5 * 86400,
      inceptionBackdate: 3600,
      denial: 'compact',
      dnskeyTtl: 3600,
    });
  });
});

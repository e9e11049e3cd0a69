// Hot reload: file watching and SIGHUP parse and validate the whole new zone set, then swap it in
// at once; on any problem every problem is logged as file:line:col and the last good set keeps
// serving. In-flight queries are never dropped. One log line per reload says what changed.
import { renameSync, watch, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli, type Cli, freePort, type LogLine } from './helpers/cli.js';
import { eventually, exchange, TcpClient, type Transport, UdpClient } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header, query, RCODE, section, TYPE } from './helpers/wire.js';
import { EXAMPLE_TEST, OTHER_TEST } from './helpers/zones.js';

const servers: TestServer[] = [];
async function serve(files: Record<string, string>, watch: boolean): Promise<TestServer> {
  const s = await startServer(files, { watch });
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** The answer section for a question, or the rcode when there is no answer. */
async function answer(
  port: number,
  name: string,
  type: keyof typeof TYPE = 'A',
  transport: Transport = 'udp',
): Promise<string[] | string> {
  const r = await exchange(transport, port, query(name, TYPE[type]));
  if (!r) return 'no reply';
  const p = decode(r);
  return p.answers?.length ? section(p.answers) : (p.rcode ?? '?');
}

const WWW = ['www.example.test 300 A 192.0.2.1', 'www.example.test 300 A 192.0.2.2'];
const withWww = (addr: string) => EXAMPLE_TEST.replace('A: [192.0.2.1, 192.0.2.2]', `A: [${addr}]`);

/** A broken edit with two problems at known places: a bad address and an unknown key. */
function brokenEdit(file: string): { text: string; expected: string[] } {
  const text = EXAMPLE_TEST.replace('A: [192.0.2.25]', 'A: [192.0.2.999]') + 'wieght: 5\n';
  const lines = text.split('\n');
  const at = (needle: string) => {
    const i = lines.findIndex((l) => l.includes(needle));
    return `${file}:${i + 1}:${lines[i]!.indexOf(needle) + 1}:`;
  };
  // "file:line:col:" of each problem (the order they are logged in is not part of the contract).
  return { text, expected: [at('192.0.2.999'), at('wieght')] };
}

const reloadLines = (logs: LogLine[]) =>
  logs.filter((l) => typeof l.msg === 'string' && /^(zones reloaded|reload rejected)/.test(l.msg));

describe('reload on file change (watch)', () => {
  it('serves an edited zone file without a restart, with one line saying what changed', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, true);
    expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
    await s.write('example.test.yaml', withWww('192.0.2.77'));
    await eventually(
      async () =>
        (await answer(s.port, 'www.example.test')).includes('www.example.test 300 A 192.0.2.77')
          ? true
          : undefined,
      5000,
      'the edit to be served',
    );
    const lines = reloadLines(s.logs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      changed: ['example.test'],
      added: [],
      removed: [],
      generation: 2,
    });
    expect(lines[0]!.msg).toContain('changed example.test');
    expect(String(lines[0]!.reason)).toContain('example.test.yaml');
  });

  it('rejects a broken edit, logging every problem as file:line:col, and keeps serving the old zone', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, true);
    const file = join(s.dir, 'example.test.yaml');
    const { text, expected } = brokenEdit(file);
    await s.write('example.test.yaml', text);
    const rejected = await eventually(
      () => s.logs.find((l) => String(l.msg).startsWith('reload rejected')),
      5000,
      'the reload to be rejected',
    );
    expect(rejected).toMatchObject({ level: 50, problems: 2, generation: 1 });
    const problems = s.logs
      .filter((l) => l.level === 50 && l.file === file)
      .map((l) => String(l.msg));
    expect(problems).toHaveLength(2);
    expect(problems.map((m) => m.split(' ')[0]).sort()).toEqual(expected.slice().sort());
    // The old data, including the name the broken edit touched.
    expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
    expect(await answer(s.port, 'mail.example.test')).toEqual([
      'mail.example.test 300 A 192.0.2.25',
    ]);
    expect(await answer(s.port, 'www.example.test', 'A', 'tcp')).toEqual(WWW);

    // Fixing the file is picked up like any edit.
    await s.write('example.test.yaml', withWww('192.0.2.78'));
    await eventually(
      async () =>
        (await answer(s.port, 'www.example.test')).includes('www.example.test 300 A 192.0.2.78')
          ? true
          : undefined,
      5000,
      'the fix to be served',
    );
    expect(s.server.reloader.zones.generation).toBe(2);
  });

  it('adds a zone for a new file and removes it (REFUSED) when the file is deleted', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, true);
    expect(await answer(s.port, 'www.other.test')).toBe('REFUSED');
    await s.write('other.test.yaml', OTHER_TEST);
    await eventually(
      async () => (Array.isArray(await answer(s.port, 'www.other.test')) ? true : undefined),
      5000,
      'the new zone',
    );
    expect(await answer(s.port, 'www.other.test')).toEqual(['www.other.test 300 A 203.0.113.1']);
    expect(reloadLines(s.logs).at(-1)).toMatchObject({
      added: ['other.test'],
      removed: [],
      changed: [],
    });

    await unlink(join(s.dir, 'other.test.yaml'));
    await eventually(
      async () => ((await answer(s.port, 'www.other.test')) === 'REFUSED' ? true : undefined),
      5000,
      'the zone to go',
    );
    expect(reloadLines(s.logs).at(-1)).toMatchObject({
      added: [],
      removed: ['other.test'],
      changed: [],
    });
    expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
  });

  it('refuses to remove every zone at once: an emptied directory keeps the last zones serving', async () => {
    const s = await serve(
      { 'example.test.yaml': EXAMPLE_TEST, 'other.test.yaml': OTHER_TEST },
      true,
    );
    await unlink(join(s.dir, 'example.test.yaml'));
    await unlink(join(s.dir, 'other.test.yaml'));
    const rejected = await eventually(
      async () => reloadLines(s.logs).find((l) => l.code === 'no-zones'),
      5000,
      'the rejection',
    );
    expect(rejected.msg).toBe(
      `reload rejected: ${s.dir}:1:1: no zone files; still serving the 2 zone(s) loaded ` +
        '(example.test, other.test): an emptied directory is taken for a mistake, so to stop ' +
        'serving every zone, stop geosteer [no-zones]; still serving generation 1',
    );
    expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
    expect(await answer(s.port, 'www.other.test')).toEqual(['www.other.test 300 A 203.0.113.1']);
    // One file back: an ordinary reload, which removes the zone still missing.
    await s.write('example.test.yaml', EXAMPLE_TEST);
    await eventually(
      async () => ((await answer(s.port, 'www.other.test')) === 'REFUSED' ? true : undefined),
      5000,
      'other.test to go',
    );
    expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
  });

  it('reloads within two seconds of the first edit even while edits keep coming', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, true);
    const file = join(s.dir, 'example.test.yaml');
    // An edit every 100 ms (or later, on a busy machine), 40 of them, so at least 4 s: the 200 ms
    // quiet period never comes. The reload must come while they still do, at MAX_WAIT_MS (2 s).
    const EDITS = 40;
    let n = 0;
    // Each edit replaces the file by rename, as editors do, so no reload reads half a file.
    const writer = setInterval(() => {
      if (n >= EDITS) return clearInterval(writer);
      n++;
      writeFileSync(`${file}.tmp`, withWww(`192.0.2.${(n % 200) + 1}`));
      renameSync(`${file}.tmp`, file);
    }, 100);
    try {
      await eventually(
        async () => {
          const a = await answer(s.port, 'www.example.test');
          return Array.isArray(a) && a.length === 1 ? true : undefined;
        },
        10_000,
        'a reload while the edits go on',
      );
      // Served while edits were still coming: the edit count, not a stopwatch, says so.
      expect(n).toBeLessThan(EDITS);
    } finally {
      clearInterval(writer);
    }
  });

  it('follows a ConfigMap-style update: zone files are symlinks through a swapped ..data link', async () => {
    // The layout Kubernetes' atomic writer keeps: <dir>/example.test.yaml -> ..data/example.test.yaml,
    // ..data -> ..v1; an update writes ..v2, points ..data_tmp at it and renames it over ..data.
    const s = await serve({}, true);
    await mkdir(join(s.dir, '..v1'));
    await writeFile(join(s.dir, '..v1', 'example.test.yaml'), EXAMPLE_TEST);
    await symlink('..v1', join(s.dir, '..data'));
    await symlink(join('..data', 'example.test.yaml'), join(s.dir, 'example.test.yaml'));
    await eventually(
      async () => (Array.isArray(await answer(s.port, 'www.example.test')) ? true : undefined),
      5000,
      'the zone',
    );

    await mkdir(join(s.dir, '..v2'));
    await writeFile(join(s.dir, '..v2', 'example.test.yaml'), withWww('192.0.2.42'));
    await symlink('..v2', join(s.dir, '..data_tmp'));
    await rename(join(s.dir, '..data_tmp'), join(s.dir, '..data'));
    await eventually(
      async () =>
        (await answer(s.port, 'www.example.test')).includes('www.example.test 300 A 192.0.2.42')
          ? true
          : undefined,
      5000,
      'the swapped data to be served',
    );
  });

  it('ignores files that are not zone files', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, true);
    // A watcher of our own on the same directory: once it has seen both files' events, the
    // server's watcher has been handed them too (one inotify read dispatches to every watcher of
    // the directory, in one turn of the loop; setImmediate lets that turn finish).
    const seen = new Set<string>();
    const own = watch(s.dir, (_e, f) => void (f && seen.add(String(f))));
    try {
      await writeFile(join(s.dir, 'notes.txt'), 'not a zone');
      await writeFile(join(s.dir, '.example.test.yaml.swp'), 'editor scratch');
      await eventually(
        async () =>
          seen.has('notes.txt') && seen.has('.example.test.yaml.swp') ? true : undefined,
        5000,
        'the events of both files',
      );
      await new Promise((r) => setImmediate(r));
    } finally {
      own.close();
    }
    // Nothing scheduled: no debounce timer running, no event waiting for a reload.
    const reloader = s.server.reloader as unknown as { timer: unknown; pendingSince: unknown };
    expect({ timer: reloader.timer, pendingSince: reloader.pendingSince }).toEqual({
      timer: null,
      pendingSince: null,
    });
    expect(reloadLines(s.logs)).toEqual([]);
    expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
  });
});

describe('reload on request', () => {
  it('logs one line per reload: what changed, no change, or the problems and a summary', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, false);
    expect(await s.server.reload('test')).toMatchObject({
      ok: true,
      generation: 1,
      added: [],
      changed: [],
      removed: [],
    });
    expect(reloadLines(s.logs)).toHaveLength(1);
    expect(reloadLines(s.logs)[0]).toMatchObject({ level: 30, generation: 1 });
    expect(reloadLines(s.logs)[0]!.msg).toContain('no change');

    await s.write('other.test.yaml', OTHER_TEST);
    await s.write('example.test.yaml', withWww('192.0.2.9'));
    expect(await s.server.reload('test')).toMatchObject({
      ok: true,
      generation: 2,
      added: ['other.test'],
      changed: ['example.test'],
      removed: [],
    });
    expect(reloadLines(s.logs)).toHaveLength(2);
    expect(reloadLines(s.logs)[1]!.msg).toBe(
      'zones reloaded: added other.test; changed example.test; now serving generation 2',
    );

    const before = s.logs.length;
    const { text } = brokenEdit(join(s.dir, 'example.test.yaml'));
    await s.write('example.test.yaml', text);
    const outcome = await s.server.reload('test');
    expect(outcome.ok).toBe(false);
    const added = s.logs.slice(before);
    // Each problem on its own line, then one summary.
    expect(added.filter((l) => l.file !== undefined)).toHaveLength(2);
    expect(added.filter((l) => String(l.msg).startsWith('reload rejected'))).toHaveLength(1);
    expect(added.map((l) => String(l.msg)).at(-1)).toBe(
      'reload rejected: 2 problem(s); still serving generation 2',
    );
    expect(await answer(s.port, 'www.example.test')).toEqual(['www.example.test 300 A 192.0.2.9']);
  });

  it('keeps serving when the zones directory disappears, and recovers when it is back', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, false);
    const moved = `${s.dir}-moved`;
    await rename(s.dir, moved);
    try {
      const outcome = await s.server.reload('test');
      expect(outcome).toMatchObject({ ok: false, problems: [{ code: 'io-error', file: s.dir }] });
      expect(await answer(s.port, 'www.example.test')).toEqual(WWW);
    } finally {
      await rename(moved, s.dir);
    }
    expect(await s.server.reload('test')).toMatchObject({ ok: true, generation: 1 });
  });

  it('runs a request made during a reload again afterwards, so its outcome sees the latest files', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, false);
    const file = join(s.dir, 'example.test.yaml');
    await s.write('example.test.yaml', withWww('192.0.2.11'));
    const first = s.server.reload('first');
    // The first run is still going (it has not been back to the event loop): these edits and
    // requests all land during it.
    writeFileSync(file, withWww('192.0.2.12'));
    const second = s.server.reload('second');
    const third = s.server.reload('third');
    // Requests made while one run is going share the single run queued after it.
    expect(third).toBe(second);
    expect(await first).toMatchObject({ ok: true, generation: 2 });
    expect(await second).toMatchObject({ ok: true, generation: 2 });
    // `second` resolved only after a run that started after it was requested.
    expect(reloadLines(s.logs).map((l) => l.reason)).toEqual(['first', 'second']);
    expect(await answer(s.port, 'www.example.test')).toEqual(['www.example.test 300 A 192.0.2.12']);
  });
});

describe('queries during reloads', () => {
  it('answers every one of 2000 queries sent across 20 reloads, each from the old or the new set', async () => {
    const s = await serve({ 'example.test.yaml': EXAMPLE_TEST }, false);
    const udp = await UdpClient.open(s.port);
    const tcp = await TcpClient.open(s.port);
    const ROUNDS = 20;
    const PER_TRANSPORT = 50;
    let answered = 0;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        await s.write('example.test.yaml', withWww(`10.0.0.${round}`));
        const reload = s.server.reload(`round ${round}`);
        // Sent while the reload reads and compiles: in flight across the swap.
        for (let i = 0; i < PER_TRANSPORT; i++) {
          udp.send(query('www.example.test', TYPE.A, { id: round * 100 + i }));
          tcp.send(query('www.example.test', TYPE.A, { id: round * 100 + i }));
        }
        const allowed = new Set([
          round === 1 ? WWW.join() : `www.example.test 300 A 10.0.0.${round - 1}`,
          `www.example.test 300 A 10.0.0.${round}`,
        ]);
        for (const c of [udp, tcp]) {
          const ids = new Set<number>();
          for (let i = 0; i < PER_TRANSPORT; i++) {
            const r = await c.next(2000);
            if (!r) throw new Error(`round ${round}: ${c === udp ? 'udp' : 'tcp'} reply ${i} lost`);
            expect(header(r).rcode).toBe(RCODE.NOERROR);
            expect(allowed).toContain(section(decode(r).answers).join());
            ids.add(header(r).id);
          }
          expect(ids.size).toBe(PER_TRANSPORT);
          answered += ids.size;
        }
        expect(await reload).toMatchObject({ ok: true, generation: round + 1 });
      }
    } finally {
      await udp.close();
      tcp.close();
    }
    expect(answered).toBe(ROUNDS * PER_TRANSPORT * 2);
    expect(await answer(s.port, 'www.example.test')).toEqual([
      `www.example.test 300 A 10.0.0.${ROUNDS}`,
    ]);
  });
});

describe('the real CLI', () => {
  const dirs: string[] = [];
  const procs: Cli[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function zoneDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-cli-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }

  it('logs its listeners and zones at start-up and reloads on SIGHUP', async () => {
    const dir = await zoneDir({ 'example.test.yaml': EXAMPLE_TEST });
    const port = await freePort();
    const cli = runCli([
      'serve',
      '--zones',
      dir,
      '--listen',
      `127.0.0.1:${port}`,
      '--no-watch',
      '--no-admin',
      '--log-level',
      'info',
    ]);
    procs.push(cli);
    const started = await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'));
    expect(started).toMatchObject({
      level: 30,
      msg: 'geosteer listening; serving 1 zone(s)',
      listeners: [`udp://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`],
      zones: ['example.test'],
      generation: 1,
    });
    expect(await answer(port, 'www.example.test')).toEqual(WWW);
    expect(await answer(port, 'www.example.test', 'A', 'tcp')).toEqual(WWW);
    const pid = cli.child.pid!;

    // An edit is not seen (no watching) until SIGHUP.
    await writeFile(join(dir, 'example.test.yaml'), withWww('192.0.2.55'));
    await writeFile(join(dir, 'other.test.yaml'), OTHER_TEST);
    let mark = cli.lines.length;
    process.kill(pid, 'SIGHUP');
    const reloaded = await cli.waitFor(
      (l) => String(l.msg).startsWith('zones reloaded'),
      10_000,
      mark,
    );
    expect(reloaded).toMatchObject({
      reason: 'SIGHUP',
      generation: 2,
      added: ['other.test'],
      changed: ['example.test'],
      removed: [],
    });
    expect(await answer(port, 'www.example.test')).toEqual(['www.example.test 300 A 192.0.2.55']);
    expect(await answer(port, 'www.other.test', 'A', 'tcp')).toEqual([
      'www.other.test 300 A 203.0.113.1',
    ]);

    // A broken edit: every problem logged as file:line:col, the last good set keeps serving.
    const file = join(dir, 'example.test.yaml');
    const { text, expected } = brokenEdit(file);
    await writeFile(file, text);
    mark = cli.lines.length;
    process.kill(pid, 'SIGHUP');
    const rejected = await cli.waitFor(
      (l) => String(l.msg).startsWith('reload rejected'),
      10_000,
      mark,
    );
    expect(rejected).toMatchObject({ level: 50, problems: 2, generation: 2 });
    const problems = cli.lines.slice(mark).filter((l) => l.file === file);
    expect(problems.map((l) => String(l.msg).split(' ')[0]).sort()).toEqual(
      expected.slice().sort(),
    );
    expect(await answer(port, 'www.example.test')).toEqual(['www.example.test 300 A 192.0.2.55']);

    // Nothing changed since the last good set: still one line, at info.
    await writeFile(file, withWww('192.0.2.55'));
    mark = cli.lines.length;
    process.kill(pid, 'SIGHUP');
    const same = await cli.waitFor((l) => String(l.msg).startsWith('zones reloaded'), 10_000, mark);
    expect(same).toMatchObject({ level: 30, generation: 2, added: [], changed: [], removed: [] });

    await cli.stop();
    expect((await cli.exited).code).toBe(0);
  });

  it('exits 1 on a broken zone directory, logging every problem as file:line:col', async () => {
    const dir = await zoneDir({ 'example.test.yaml': EXAMPLE_TEST });
    const file = join(dir, 'example.test.yaml');
    const { text, expected } = brokenEdit(file);
    await writeFile(file, text);
    const port = await freePort();
    const cli = runCli([
      'serve',
      '--zones',
      dir,
      '--listen',
      `127.0.0.1:${port}`,
      '--no-watch',
      '--no-admin',
    ]);
    procs.push(cli);
    const { code } = await cli.exited;
    expect(code).toBe(1);
    const fatal = cli.lines.filter((l) => l.level === 60);
    expect(
      fatal
        .filter((l) => l.file === file)
        .map((l) => String(l.msg).split(' ')[0])
        .sort(),
    ).toEqual(expected.slice().sort());
    expect(fatal.at(-1)?.msg).toBe(`not starting: 2 problem(s) in ${dir}`);
    // Nothing is listening.
    expect(await exchange('udp', port, query('www.example.test', TYPE.A), 300)).toBeNull();
  });
});

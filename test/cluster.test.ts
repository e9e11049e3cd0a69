// --workers N: worker processes share the listeners (node:cluster). Run through the real CLI.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cli, freePort, runCli } from './helpers/cli.js';
import { queryTcp, queryUdp, rrs } from './helpers/dns-client.js';

const ZONE = `zone: cluster.test
nameservers: { ns1.cluster.test: [192.0.2.53] }
records:
  www: { A: [192.0.2.80] }
`;

let cli: Cli | null = null;
afterEach(async () => {
  await cli?.stop();
  cli = null;
});

async function zonesDir(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-cluster-'));
  await writeFile(join(dir, 'cluster.test.yaml'), text);
  return dir;
}

describe('serve --workers 2', () => {
  it('answers over UDP and TCP from two workers, and all of them stop on SIGTERM', async () => {
    const port = await freePort();
    cli = runCli([
      'serve',
      '-z',
      await zonesDir(ZONE),
      '-l',
      `127.0.0.1:${port}`,
      '--workers',
      '2',
      '--no-watch',
    ]);
    // Each worker logs its own start-up line.
    await cli.waitFor(
      () => cli!.lines.filter((l) => String(l.msg).startsWith('geosteer listening')).length >= 2,
    );
    const pids = new Set(
      cli.lines.filter((l) => String(l.msg).startsWith('geosteer listening')).map((l) => l.pid),
    );
    expect(pids.size).toBe(2);
    for (let i = 0; i < 20; i++) {
      expect(rrs((await queryUdp(port, 'www.cluster.test', 'A')).answers)).toEqual([
        'www.cluster.test 300 A 192.0.2.80',
      ]);
    }
    expect(rrs((await queryTcp(port, 'www.cluster.test', 'A')).answers)).toEqual([
      'www.cluster.test 300 A 192.0.2.80',
    ]);
    await cli.stop();
    expect((await cli.exited).code).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid as number, 0)).toThrow();
  });

  it('exits 1 instead of restarting workers forever when they cannot start', async () => {
    const port = await freePort();
    cli = runCli([
      'serve',
      '-z',
      await zonesDir('zone: [broken'),
      '-l',
      `127.0.0.1:${port}`,
      '--workers',
      '2',
    ]);
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.lines.some((l) => l.msg === 'worker failed to start; stopping')).toBe(true);
    expect(cli.lines.filter((l) => String(l.msg).startsWith('worker exited')).length).toBe(0);
  });
});

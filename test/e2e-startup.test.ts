// Start-up of the in-process server: what it listens on, the start-up log line, and failures
// that must leave nothing half-open.
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TCP, GeosteerServer, type ServerOptions } from '../src/server/server.js';
import { ProblemsError } from '../src/base/errors.js';
import { exchange } from './helpers/conn.js';
import { header, query, RCODE, TYPE } from './helpers/wire.js';
import { EXAMPLE_TEST, OTHER_TEST } from './helpers/zones.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-start-'));
  await writeFile(join(dir, 'example.test.yaml'), EXAMPLE_TEST);
  await writeFile(join(dir, 'other.test.yaml'), OTHER_TEST);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function options(
  over: Partial<ServerOptions> = {},
): ServerOptions & { logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return {
    listen: [{ host: '127.0.0.1', port: 0 }],
    udp: true,
    tcp: true,
    zonesDir: dir,
    tcpOptions: DEFAULT_TCP,
    watch: false,
    queryLog: false,
    log: pino({ level: 'info' }, sink),
    logs,
    ...over,
  };
}

/**
 * An answer, or null after `waitMs`. Answers expected get seconds (a loaded CI machine can take
 * hundreds of milliseconds); where silence is the point, half a second of it is enough.
 */
const ask = (transport: 'udp' | 'tcp', port: number, waitMs = 3000) =>
  exchange(transport, port, query('www.example.test', TYPE.A), waitMs);

async function udpPortFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((r) => s.close(() => r()));
  return ok;
}

/** A TCP listener on a port whose UDP side is free. */
async function tcpOnlyBlocker(): Promise<{ blocker: Server; port: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    if (await udpPortFree(port)) return { blocker, port };
    await new Promise<void>((r) => blocker.close(() => r()));
  }
  throw new Error('no port with TCP free and UDP free');
}

describe('start-up', () => {
  it('listens on UDP and TCP on one port and logs its listeners and zones', async () => {
    const opts = options();
    const server = await GeosteerServer.start(opts);
    try {
      const port = server.port;
      expect(server.listeners).toEqual([
        { transport: 'udp', host: '127.0.0.1', port },
        { transport: 'tcp', host: '127.0.0.1', port },
      ]);
      expect(opts.logs).toHaveLength(1);
      expect(opts.logs[0]).toMatchObject({
        level: 30,
        msg: 'geosteer listening; serving 2 zone(s)',
        listeners: [`udp://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`],
        zones: ['example.test', 'other.test'],
        generation: 1,
      });
      expect(header((await ask('udp', port))!).rcode).toBe(RCODE.NOERROR);
      expect(header((await ask('tcp', port))!).rcode).toBe(RCODE.NOERROR);
    } finally {
      await server.close();
    }
  });

  it('serves TCP only when UDP is off, and UDP only when TCP is off', async () => {
    const tcpOnly = await GeosteerServer.start(options({ udp: false }));
    try {
      expect(tcpOnly.listeners.map((l) => l.transport)).toEqual(['tcp']);
      expect(await ask('tcp', tcpOnly.port)).not.toBeNull();
      expect(await ask('udp', tcpOnly.port, 500)).toBeNull();
    } finally {
      await tcpOnly.close();
    }
    const udpOnly = await GeosteerServer.start(options({ tcp: false }));
    try {
      expect(udpOnly.listeners.map((l) => l.transport)).toEqual(['udp']);
      expect(await ask('udp', udpOnly.port)).not.toBeNull();
    } finally {
      await udpOnly.close();
    }
  });

  it('refuses to start with nothing to listen on', async () => {
    await expect(GeosteerServer.start(options({ udp: false, tcp: false }))).rejects.toThrow(
      /nothing to listen on/,
    );
    await expect(GeosteerServer.start(options({ listen: [] }))).rejects.toThrow(
      /nothing to listen on/,
    );
  });

  it('refuses to start on broken zones, with every problem', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'geosteer-start-bad-'));
    try {
      await writeFile(
        join(bad, 'a.yaml'),
        'zone: a.test\nnameservers:\n  ns1.a.test: [192.0.2.999]\n',
      );
      await writeFile(join(bad, 'b.yaml'), 'zone: b.test\n');
      const err = await GeosteerServer.start(options({ zonesDir: bad })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProblemsError);
      const files = (err as ProblemsError).problems.map((p) => p.file);
      expect(files).toContain(join(bad, 'a.yaml'));
      expect(files).toContain(join(bad, 'b.yaml'));
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('fails on a port in use and leaves nothing bound behind', async () => {
    // TCP taken, UDP free on the same port: the UDP socket opened first must be closed again.
    const { blocker, port } = await tcpOnlyBlocker();
    try {
      await expect(
        GeosteerServer.start(options({ listen: [{ host: '127.0.0.1', port }] })),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(await udpPortFree(port)).toBe(true);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('keeps the first server answering when a second cannot bind its port', async () => {
    const first = await GeosteerServer.start(options());
    try {
      await expect(
        GeosteerServer.start(options({ listen: [{ host: '127.0.0.1', port: first.port }] })),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(header((await ask('udp', first.port))!).rcode).toBe(RCODE.NOERROR);
      expect(header((await ask('tcp', first.port))!).rcode).toBe(RCODE.NOERROR);
    } finally {
      await first.close();
    }
  });
});

// Each probe against real servers on loopback (127.0.0.x: Linux routes all of 127/8 to lo), the
// reason it gives for every outcome, and what it sends (method, path, Host, SNI, DNS question).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsQuery } from '../src/health/probes/dns.js';
import { runProbe } from '../src/health/probes/index.js';
import {
  checkFor,
  type ActiveProbe,
  type HttpProbe,
  type ProbeOutcome,
} from '../src/health/spec.js';
import { Rcode, Type } from '../src/wire/constants.js';
import { selfSignedCert } from './helpers/x509.js';

const HTTP_HOST = '127.0.0.21';
const HTTPS_HOST = '127.0.0.22';
const TCP_HOST = '127.0.0.23';
const DNS_HOST = '127.0.0.24';
const CLOSED_HOST = '127.0.0.25'; // nothing listens here

const TIMING = { intervalMs: 1000, timeoutMs: 300, rise: 2, fall: 3 };
const HTTP: HttpProbe = {
  type: 'http',
  target: null,
  port: 0,
  path: '/health',
  method: 'GET',
  expect: [[200, 399]],
  body: null,
  host: null,
  sni: null,
  insecure: false,
  ...TIMING,
};

/** Run one probe of `spec` against `address` (or the spec's target). */
function probe(spec: ActiveProbe, address: string): Promise<ProbeOutcome> {
  return runProbe(checkFor(spec, address), new AbortController().signal);
}

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  servername: string | false | null;
}

/** The request log of a server and the handler it answers with, per path. */
function handler(seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      host: req.headers.host,
      servername: (req.socket as TLSSocket).servername ?? null,
    });
    if (req.url === '/health') res.end('status: ready\n');
    else if (req.url === '/down') {
      res.statusCode = 503;
      res.end('maintenance');
    } else if (req.url === '/redirect') {
      res.statusCode = 302;
      res.setHeader('location', '/health');
      res.end();
    } else if (req.url === '/hang') {
      // Never answers: the probe's timeout ends it.
    } else if (req.url === '/big') {
      res.write('x'.repeat(100_000));
      res.end('status: ready');
    } else {
      res.statusCode = 404;
      res.end();
    }
  };
}

const listen = (srv: Server | ReturnType<typeof createTcpServer>, host: string) =>
  new Promise<number>((r) => srv.listen(0, host, () => r((srv.address() as AddressInfo).port)));
const close = (srv: { close(cb: () => void): unknown; closeAllConnections?: () => void }) =>
  new Promise<void>((r) => {
    srv.closeAllConnections?.();
    srv.close(() => r());
  });

describe('http probe', () => {
  const seen: Seen[] = [];
  const srv = createHttpServer(handler(seen));
  let spec: HttpProbe;
  beforeAll(async () => {
    spec = { ...HTTP, port: await listen(srv, HTTP_HOST) };
  });
  afterAll(() => close(srv));

  it.each<[string, Partial<HttpProbe>, ProbeOutcome]>([
    ['a 200', {}, { ok: true, reason: 'HTTP 200' }],
    ['a 503', { path: '/down' }, { ok: false, reason: 'HTTP 503' }],
    [
      'a 503 when 503 is expected',
      { path: '/down', expect: [[503, 503]] },
      { ok: true, reason: 'HTTP 503' },
    ],
    ['a 302 within the default 200-399', { path: '/redirect' }, { ok: true, reason: 'HTTP 302' }],
    [
      'a 302 outside [200]',
      { path: '/redirect', expect: [[200, 200]] },
      { ok: false, reason: 'HTTP 302' },
    ],
    ['a 404', { path: '/nope' }, { ok: false, reason: 'HTTP 404' }],
    ['the body text', { body: 'ready' }, { ok: true, reason: 'HTTP 200' }],
    [
      'missing body text',
      { body: 'healthy' },
      { ok: false, reason: 'HTTP 200, no "healthy" in the body' },
    ],
    [
      'text past the first 64 KiB',
      { path: '/big', body: 'ready' },
      { ok: false, reason: 'HTTP 200, no "ready" in the first 65536 bytes' },
    ],
    ['HEAD', { method: 'HEAD' }, { ok: true, reason: 'HTTP 200' }],
    ['no answer', { path: '/hang' }, { ok: false, reason: 'timeout after 300 ms' }],
  ])('%s', async (_what, patch, want) => {
    expect(await probe({ ...spec, ...patch }, HTTP_HOST)).toEqual(want);
  });

  it('sends the method, the path, and the Host header (the address and port unless host: is set)', async () => {
    seen.length = 0;
    await probe({ ...spec, method: 'HEAD' }, HTTP_HOST);
    await probe({ ...spec, host: 'www.example.com' }, HTTP_HOST);
    expect(seen).toEqual([
      { method: 'HEAD', url: '/health', host: `${HTTP_HOST}:${spec.port}`, servername: null },
      { method: 'GET', url: '/health', host: 'www.example.com', servername: null },
    ]);
  });

  it('probes a separate target instead of the address it answers for', async () => {
    seen.length = 0;
    const viaTarget = { ...spec, target: HTTP_HOST };
    expect(await probe(viaTarget, '192.0.2.10')).toEqual({ ok: true, reason: 'HTTP 200' });
    expect(seen.length).toBe(1);
  });

  it('gives the connect error when nothing listens', async () => {
    expect(await probe(spec, CLOSED_HOST)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
  });

  it('times out after timeoutMs, not later', async () => {
    const t0 = performance.now();
    await probe({ ...spec, path: '/hang', timeoutMs: 150 }, HTTP_HOST);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(400);
  });

  it('ends at once when aborted (the prober stopping)', async () => {
    const ac = new AbortController();
    const p = runProbe(checkFor({ ...spec, path: '/hang', timeoutMs: 5000 }, HTTP_HOST), ac.signal);
    setTimeout(() => ac.abort(), 20);
    expect(await p).toEqual({ ok: false, reason: 'aborted' });
  });
});

describe('https probe against a self-signed certificate', () => {
  const seen: Seen[] = [];
  const { key, cert } = selfSignedCert('health.test', ['health.test', HTTPS_HOST]);
  const srv = createHttpsServer({ key, cert }, handler(seen));
  let spec: HttpProbe;
  beforeAll(async () => {
    spec = { ...HTTP, type: 'https', port: await listen(srv, HTTPS_HOST) };
  });
  afterAll(() => close(srv));

  it('fails certificate verification by default, saying why', async () => {
    expect(await probe(spec, HTTPS_HOST)).toEqual({
      ok: false,
      reason: 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    });
  });

  it('passes with insecure: true', async () => {
    expect(await probe({ ...spec, insecure: true }, HTTPS_HOST)).toEqual({
      ok: true,
      reason: 'HTTP 200',
    });
  });

  it('sends sni: as the server name, else the Host name, never an address', async () => {
    seen.length = 0;
    await probe({ ...spec, insecure: true }, HTTPS_HOST);
    await probe({ ...spec, insecure: true, host: 'www.example.com:8443' }, HTTPS_HOST);
    await probe(
      { ...spec, insecure: true, host: 'www.example.com', sni: 'health.test' },
      HTTPS_HOST,
    );
    expect(seen.map((s) => [s.host, s.servername])).toEqual([
      [`${HTTPS_HOST}:${spec.port}`, false],
      ['www.example.com:8443', 'www.example.com'],
      ['www.example.com', 'health.test'],
    ]);
  });
});

describe('tcp probe', () => {
  const srv = createTcpServer((sock) => sock.end());
  let port = 0;
  beforeAll(async () => {
    port = await listen(srv, TCP_HOST);
  });
  afterAll(() => close(srv));

  it('is up when the port accepts a connection, down with the reason when not', async () => {
    const spec: ActiveProbe = { type: 'tcp', target: null, port, ...TIMING };
    expect(await probe(spec, TCP_HOST)).toEqual({ ok: true, reason: 'connected' });
    expect(await probe(spec, CLOSED_HOST)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
  });
});

describe('dns probe', () => {
  type Mode = 'noerror' | 'servfail' | 'wrong-id' | 'wrong-question' | 'silent';
  /** How the test server answers the next query. */
  let mode = 'noerror' as Mode;
  const questions: Buffer[] = [];
  let sock: UdpSocket;
  let port = 0;
  beforeAll(async () => {
    sock = createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      questions.push(msg);
      if (mode === 'silent') return;
      const reply = Buffer.from(msg);
      reply[2] = 0x81; // QR, RD
      reply[3] = mode === 'servfail' ? Rcode.SERVFAIL : Rcode.NOERROR;
      if (mode === 'wrong-id') reply.writeUInt16BE((msg.readUInt16BE(0) + 1) & 0xffff, 0);
      if (mode === 'wrong-question')
        reply.writeUInt8(reply.readUInt8(reply.length - 3) ^ 1, reply.length - 3); // another qtype
      sock.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(0, DNS_HOST, () => r()));
    port = sock.address().port;
  });
  afterAll(() => new Promise<void>((r) => sock.close(() => r())));

  const spec = (): ActiveProbe => ({
    type: 'dns',
    target: null,
    port,
    name: 'example.com',
    qtype: Type.SOA,
    ...TIMING,
  });

  it.each<[Mode, ProbeOutcome]>([
    ['noerror', { ok: true, reason: 'DNS NOERROR' }],
    ['servfail', { ok: false, reason: 'DNS SERVFAIL' }],
    // A reply that does not match the query is ignored, as a forged one would be.
    ['wrong-id', { ok: false, reason: 'timeout after 300 ms' }],
    ['wrong-question', { ok: false, reason: 'timeout after 300 ms' }],
    ['silent', { ok: false, reason: 'timeout after 300 ms' }],
  ])('%s', async (m, want) => {
    mode = m;
    expect(await probe(spec(), DNS_HOST)).toEqual(want);
  });

  it('asks the configured question with a random ID and RD set', async () => {
    mode = 'noerror';
    questions.length = 0;
    await probe(spec(), DNS_HOST);
    await probe(spec(), DNS_HOST);
    const [a, b] = questions;
    expect(a!.subarray(2)).toEqual(dnsQuery(0, 'example.com', Type.SOA).subarray(2));
    expect(a!.readUInt16BE(0)).not.toBe(b!.readUInt16BE(0));
  });

  it('is down at once when nothing listens: the connected socket sees ICMP port unreachable', async () => {
    const t0 = performance.now();
    expect(await probe(spec(), CLOSED_HOST)).toEqual({ ok: false, reason: 'recvmsg ECONNREFUSED' });
    expect(performance.now() - t0).toBeLessThan(250);
  });
});

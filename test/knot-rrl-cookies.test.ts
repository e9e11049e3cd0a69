// Differential test against Knot DNS's mod-cookies and mod-rrl where the behaviours overlap:
// the cookie echo and its RFC 9018 shape (with one shared secret the two servers accept each
// other's cookies), BADCOOKIE over UDP for a client cookie alone (Knot's badcookie-slip 1 and
// geosteer's cookies.require), FORMERR for a malformed COOKIE, answers over TCP, the shape of an
// RRL slip (TC=1, question only), and a valid cookie bypassing RRL. Real time on both sides.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCookiesConfig, defaultRrlConfig } from '../src/server/rrl-config.js';
import { buildQuery, tcpExchange, udpExchange } from './helpers/dns-client.js';
import { type KnotServer, startKnot } from './helpers/knot.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header } from './helpers/wire.js';

const SECRET = 'e5e973e5a6b2a43f48e7dc849e37bfcf';
const RATE = 5;
const CLIENT = Buffer.from('0123456789abcdef', 'hex');

const KNOT_ZONE = `
rrl.test. 300 IN SOA ns1.rrl.test. hostmaster.rrl.test. 1 3600 600 86400 60
rrl.test. 300 IN NS ns1.rrl.test.
ns1.rrl.test. 300 IN A 192.0.2.53
www.rrl.test. 300 IN A 192.0.2.1
`;
const GEOSTEER_ZONE = `
zone: rrl.test
ttl: 300
soa: { primary: ns1.rrl.test, contact: hostmaster@rrl.test, serial: 1, negative_ttl: 60 }
nameservers:
  ns1.rrl.test: [192.0.2.53]
records:
  www: { A: [192.0.2.1] }
`;

interface Shape {
  rcode: number;
  ext: number;
  tc: boolean;
  counts: [number, number];
  question: string | undefined;
  /** The COOKIE echo: client cookie, server cookie length, version and reserved octets. */
  cookie: { client: string; serverLength: number; head: string } | null;
}

function shape(reply: Buffer): Shape {
  const h = header(reply);
  const p = decode(reply);
  const opt = p.additionals?.find((a) => a.type === 'OPT') as unknown as
    { extendedRcode: number; options: { code: number; data: Buffer }[] } | undefined;
  const c = opt?.options.find((o) => o.code === 10)?.data;
  return {
    rcode: h.rcode,
    ext: opt?.extendedRcode ?? 0,
    tc: h.tc,
    counts: [h.ancount, h.nscount],
    question: p.questions?.[0]?.name.toLowerCase(),
    cookie: c
      ? {
          client: c.subarray(0, 8).toString('hex'),
          serverLength: c.length - 8,
          head: c.subarray(8, 12).toString('hex'),
        }
      : null,
  };
}

function cookieOf(reply: Buffer): Buffer {
  const opt = decode(reply).additionals?.find((a) => a.type === 'OPT') as unknown as {
    options: { code: number; data: Buffer }[];
  };
  return opt.options.find((o) => o.code === 10)!.data;
}

const ask = (cookie: Buffer | null, id = 1) =>
  buildQuery('www.rrl.test', 'A', {
    id,
    edns: 1232,
    ...(cookie ? { ednsOptions: [{ code: 10, data: cookie }] } : {}),
  });

/** Send `count` queries one after another from one socket; replies by ID, null when dropped. */
async function flood(port: number, count: number, make: (i: number) => Buffer) {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind({ address: '127.0.0.1', port: 0 }, () => r()));
  const out: (Buffer | null)[] = [];
  try {
    for (let i = 0; i < count; i++) {
      out.push(
        await new Promise<Buffer | null>((resolve) => {
          const done = (m: Buffer | null) => {
            clearTimeout(timer);
            sock.removeListener('message', on);
            resolve(m);
          };
          const on = (m: Buffer) => {
            if (m.readUInt16BE(0) === i) done(m);
          };
          const timer = setTimeout(() => done(null), 150);
          sock.on('message', on);
          sock.send(make(i), port, '127.0.0.1');
        }),
      );
    }
  } finally {
    sock.close();
  }
  return out;
}

describe('RRL and cookies as Knot DNS does them', () => {
  let knot: KnotServer;
  let gs: TestServer;
  beforeAll(async () => {
    knot = await startKnot({ 'rrl.test': KNOT_ZONE }, 15_000, {
      sections: [
        'mod-cookies:',
        '  - id: c',
        `    secret: 0x${SECRET}`,
        '    badcookie-slip: 1',
        'mod-rrl:',
        '  - id: r',
        `    rate-limit: ${RATE}`,
        '    slip: 2',
      ].join('\n'),
      global: ['mod-cookies/c', 'mod-rrl/r'],
    });
    gs = await startServer(
      { 'rrl.test.yaml': GEOSTEER_ZONE },
      {
        rrl: { ...defaultRrlConfig(), responsesPerSecond: RATE, slip: 2, allow: [] },
        cookies: { ...defaultCookiesConfig(), secret: Buffer.from(SECRET, 'hex'), require: true },
      },
    );
  }, 30_000);
  afterAll(async () => {
    await knot?.stop();
    await gs?.stop();
  });
  const both = async (msg: Buffer) => {
    const [k, g] = [await udpExchange(knot.port, msg), await udpExchange(gs.port, msg)];
    return { knot: k!, geosteer: g! };
  };

  it('a client cookie alone over UDP: BADCOOKIE echoing it with a version 1 server cookie', async () => {
    const r = await both(ask(CLIENT));
    const want: Shape = {
      rcode: 7,
      ext: 1,
      tc: false,
      counts: [0, 0],
      question: 'www.rrl.test',
      cookie: { client: CLIENT.toString('hex'), serverLength: 16, head: '01000000' },
    };
    expect(shape(r.knot)).toEqual(want);
    expect(shape(r.geosteer)).toEqual(want);
  });

  it('with one secret, each accepts the cookie the other made (RFC 9018)', async () => {
    const fromKnot = cookieOf((await udpExchange(knot.port, ask(CLIENT)))!);
    const fromGeosteer = cookieOf((await udpExchange(gs.port, ask(CLIENT)))!);
    const atGeosteer = shape((await udpExchange(gs.port, ask(fromKnot)))!);
    const atKnot = shape((await udpExchange(knot.port, ask(fromGeosteer)))!);
    for (const s of [atGeosteer, atKnot]) {
      expect([s.rcode, s.ext, s.counts[0]]).toEqual([0, 0, 1]);
      expect(s.cookie).toEqual({
        client: CLIENT.toString('hex'),
        serverLength: 16,
        head: '01000000',
      });
    }
  });

  it('a malformed COOKIE gets FORMERR from both', async () => {
    const r = await both(ask(Buffer.alloc(12, 5)));
    expect(header(r.knot).rcode).toBe(1);
    expect(header(r.geosteer).rcode).toBe(1);
  });

  it('over TCP a client cookie alone is answered, with a cookie', async () => {
    const [k] = await tcpExchange(knot.port, [ask(CLIENT)]);
    const [g] = await tcpExchange(gs.port, [ask(CLIENT)]);
    for (const r of [k!, g!]) {
      const s = shape(r);
      expect([s.rcode, s.counts[0], s.cookie?.serverLength]).toEqual([0, 1, 16]);
    }
  });

  it('a flood is answered up to the rate, then slipped truncated with the question only', async () => {
    // Knot's buckets hold four seconds' worth (RRL_CAPACITY in its rrl.c); geosteer's one, as
    // BIND's and NSD's (docs/rrl.md). Real time: the flood may straddle a second boundary.
    for (const [port, burst] of [
      [knot.port, 4 * RATE],
      [gs.port, RATE],
    ] as const) {
      const t0 = Date.now();
      const replies = await flood(port, 50, (i) => ask(null, i));
      // Each dropped query waits out its timeout, so the flood lasts a second or two: buckets
      // refill by the rate for each second begun.
      const refills = Math.ceil((Date.now() - t0) / 1000) * RATE;
      const answered = replies.filter((r) => r && !header(r).tc).length;
      const slipped = replies.filter((r) => r && header(r).tc);
      const dropped = replies.filter((r) => !r).length;
      expect(answered).toBeGreaterThanOrEqual(burst);
      expect(answered).toBeLessThanOrEqual(burst + refills);
      // Slip 2: geosteer truncates exactly every 2nd limited response; Knot rolls a die for each
      // (1 in 2: rrl_slip_roll), so over 25 or more limited responses each way gets a few.
      if (port === gs.port) expect(Math.abs(slipped.length - dropped)).toBeLessThanOrEqual(1);
      expect(slipped.length).toBeGreaterThanOrEqual(3);
      expect(dropped).toBeGreaterThanOrEqual(3);
      expect(shape(slipped[0]!)).toMatchObject({
        rcode: 0,
        tc: true,
        counts: [0, 0],
        question: 'www.rrl.test',
      });
    }
  });

  it('a valid server cookie is not rate limited', async () => {
    for (const port of [knot.port, gs.port]) {
      const cookie = cookieOf((await udpExchange(port, ask(CLIENT)))!);
      const replies = await flood(port, 30, (i) => ask(cookie, i));
      expect(replies.filter((r) => r && !header(r).tc && header(r).ancount === 1)).toHaveLength(30);
    }
  });
});

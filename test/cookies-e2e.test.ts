// DNS cookies over real sockets: the echo, BADCOOKIE where RFC 7873 5.2 lets a server send it
// (cookies.require, UDP only), FORMERR for a malformed option, the RFC 7873 5.4 cookie query,
// RFC 9018 ageing, and a secret rolled over between instances.
import { afterEach, describe, expect, it } from 'vitest';
import { type CookiesConfig, defaultCookiesConfig } from '../src/server/rrl-config.js';
import { buildQuery, tcpExchange, udpExchange } from './helpers/dns-client.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header } from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

const CLIENT = Buffer.from('2464c4abcf10c957', 'hex');
const SECRET_A = Buffer.from('dd3bdf9344b678b185a6f5cb60fca715', 'hex');
const SECRET_B = Buffer.from('445536bcd2513298075a5d379663c962', 'hex');

interface Seen {
  rcode: number;
  answers: number;
  cookie: Buffer | null;
  ext: number;
}

function read(reply: Buffer): Seen {
  const opt = decode(reply).additionals?.find((a) => a.type === 'OPT') as unknown as
    { extendedRcode: number; options: { code: number; data: Buffer }[] } | undefined;
  return {
    rcode: header(reply).rcode,
    answers: header(reply).ancount,
    cookie: opt?.options.find((o) => o.code === 10)?.data ?? null,
    ext: opt?.extendedRcode ?? 0,
  };
}

const ask = (cookie: Buffer, name = 'www.example.test') =>
  buildQuery(name, 'A', { edns: 1232, ednsOptions: [{ code: 10, data: cookie }] });

describe('DNS cookies', () => {
  const servers: TestServer[] = [];
  let clock = 1_700_000_000_000;
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  const start = async (c: Partial<CookiesConfig>) => {
    const s = await startServer(ALL_ZONES, {
      cookies: { ...defaultCookiesConfig(), ...c },
      now: () => clock,
    });
    servers.push(s);
    return s;
  };
  const udp = async (s: TestServer, msg: Buffer) => read((await udpExchange(s.port, msg))!);

  it('echoes the client cookie with a server cookie of 16 octets, version 1', async () => {
    const s = await start({ secret: SECRET_A });
    const r = await udp(s, ask(CLIENT));
    expect([r.rcode, r.answers]).toEqual([0, 2]);
    expect(r.cookie).toHaveLength(24);
    expect(r.cookie!.subarray(0, 8)).toEqual(CLIENT);
    expect([...r.cookie!.subarray(8, 12)]).toEqual([1, 0, 0, 0]);
    expect(r.cookie!.readUInt32BE(12)).toBe(Math.floor(clock / 1000));
    // A fresh valid cookie is echoed as it is (RFC 9018 4.3).
    const again = await udp(s, ask(r.cookie!));
    expect(again.cookie).toEqual(r.cookie);
  });

  it('require: BADCOOKIE with a fresh cookie over UDP until the client presents it', async () => {
    const s = await start({ secret: SECRET_A, require: true });
    const first = await udp(s, ask(CLIENT));
    // RFC 7873 8: BADCOOKIE is 23, 7 in the header and 1 in the OPT; nothing is answered.
    expect([first.rcode, first.ext, first.answers]).toEqual([7, 1, 0]);
    expect(first.cookie!.subarray(0, 8)).toEqual(CLIENT);
    const retry = await udp(s, ask(first.cookie!));
    expect([retry.rcode, retry.ext, retry.answers]).toEqual([0, 0, 2]);
    // An invalid server cookie is BADCOOKIE too; over TCP the query is answered.
    const forged = Buffer.concat([CLIENT, Buffer.alloc(16, 1)]);
    expect((await udp(s, ask(forged))).rcode).toBe(7);
    const [tcp] = await tcpExchange(s.port, [ask(forged)]);
    expect([read(tcp!).rcode, read(tcp!).answers]).toEqual([0, 2]);
  });

  it('answers a malformed COOKIE with FORMERR (RFC 7873 5.2.2)', async () => {
    const s = await start({ secret: SECRET_A });
    for (const len of [5, 12, 41]) {
      const r = await udp(s, ask(Buffer.alloc(len, 3)));
      expect([r.rcode, r.cookie]).toEqual([1, null]);
    }
  });

  it('answers a cookie query without a question (RFC 7873 5.4)', async () => {
    const s = await start({ secret: SECRET_A });
    const q = ask(CLIENT);
    // Drop the question: QDCOUNT 0 and the OPT right after the header.
    const opt = q.subarray(12 + 'www.example.test'.length + 2 + 4);
    const msg = Buffer.concat([q.subarray(0, 12), opt]);
    msg.writeUInt16BE(0, 4);
    const r = await udp(s, msg);
    expect([r.rcode, r.answers]).toEqual([0, 0]);
    expect(r.cookie!.subarray(0, 8)).toEqual(CLIENT);
  });

  it('renews a cookie after half an hour and refuses it after an hour (RFC 9018 4.3)', async () => {
    const s = await start({ secret: SECRET_A, require: true });
    const issued = (await udp(s, ask(CLIENT))).cookie!;
    clock += 31 * 60_000;
    const renewed = await udp(s, ask(issued));
    expect(renewed.rcode).toBe(0);
    expect(renewed.cookie!.readUInt32BE(12)).toBe(Math.floor(clock / 1000));
    clock += 61 * 60_000;
    expect((await udp(s, ask(renewed.cookie!))).rcode).toBe(7);
  });

  it('accepts cookies of the previous secret and reissues them with the new one', async () => {
    const old = await start({ secret: SECRET_A });
    const issued = (await udp(old, ask(CLIENT))).cookie!;
    const rolled = await start({ secret: SECRET_B, previous: SECRET_A, require: true });
    const r = await udp(rolled, ask(issued));
    expect([r.rcode, r.answers]).toEqual([0, 2]);
    expect(r.cookie).not.toEqual(issued);
    // The new cookie is made with the new secret: an instance that only knows it accepts it.
    const next = await start({ secret: SECRET_B, require: true });
    expect((await udp(next, ask(r.cookie!))).rcode).toBe(0);
    expect((await udp(next, ask(issued))).rcode).toBe(7);
  });
});

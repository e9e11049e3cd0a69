import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagsOf, queryTcp, queryUdp, rrs } from './helpers/dns-client.js';
import { startServer, type TestServer } from './helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ 'example.yaml': await readFile('zones/gslb.example.com.yaml', 'utf8') });
});
afterAll(() => t.stop());

describe('example zone over real sockets', () => {
  it('answers a static A authoritatively over UDP', async () => {
    const r = await queryUdp(t.port, 'static.gslb.example.com', 'A');
    // dns-packet decodes the rcode but its type definitions omit it.
    expect((r as { rcode?: string }).rcode).toBe('NOERROR');
    expect(flagsOf(r)).toEqual(['qr', 'aa', 'rd']);
    expect(rrs(r.answers)).toEqual(['static.gslb.example.com 300 A 192.0.2.1']);
  });
  it('answers the same over TCP', async () => {
    const r = await queryTcp(t.port, 'static.gslb.example.com', 'AAAA');
    expect(rrs(r.answers)).toEqual(['static.gslb.example.com 300 AAAA 2001:db8::1']);
  });
});

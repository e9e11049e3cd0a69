// Real queries, as resolvers and dig send them: the corpus the mutators start from. Each one
// reaches a different path of the server (memo hit, steered, ECS echo, EDE, truncation, BADVERS,
// cookies), so a mutation lands next to code worth breaking.
import { ecsOption } from '../test/helpers/dns-client.js';
import { message, optBytes, query, questionBytes, TYPE } from '../test/helpers/wire.js';

const COOKIE = 10;
const clientCookie = Buffer.from('0123456789abcdef', 'hex');
const serverCookie = Buffer.concat([
  clientCookie,
  Buffer.from('010000005f5e1000a1b2c3d4e5f60718', 'hex'),
]);

export const SEEDS: readonly Buffer[] = [
  query('www.example.test', TYPE.A),
  query('www.example.test', TYPE.AAAA, { rd: false }),
  query('WwW.ExAmPlE.TeSt', TYPE.A, { edns: { udpSize: 4096, dnssecOk: true } }),
  query('huge.example.test', TYPE.TXT),
  query('huge.example.test', TYPE.TXT, { edns: { udpSize: 1232 } }),
  query('big.example.test', TYPE.TXT, { edns: { udpSize: 512 } }),
  query('x.child.example.test', TYPE.A, { edns: {} }),
  query('chain.example.test', TYPE.ANY, { rd: false }),
  query('nope.example.test', TYPE.A, { edns: { dnssecOk: true } }),
  query('x.wild.example.test', TYPE.MX),
  query('example.test', TYPE.SOA, { edns: { options: [{ code: COOKIE, data: clientCookie }] } }),
  query('w.fuzz.test', TYPE.A, { edns: { options: [ecsOption('198.51.100.0/24')] } }),
  query('g.fuzz.test', TYPE.AAAA, { edns: { options: [ecsOption('2001:db8:100::/56')] } }),
  query('n.fuzz.test', TYPE.A, {
    edns: { options: [ecsOption('10.1.2.0/24'), { code: COOKIE, data: serverCookie }] },
  }),
  query('s.fuzz.test', TYPE.A, { edns: { options: [ecsOption('0.0.0.0/0')] } }),
  query('f.fuzz.test', TYPE.A, {
    edns: { udpSize: 1400, options: [{ code: 12, data: Buffer.alloc(40) }] },
  }),
  query('alias.fuzz.test', TYPE.A, { edns: { options: [{ code: 3, data: Buffer.alloc(0) }] } }),
  query('www.elsewhere.net', TYPE.A),
  query('www.elsewhere.net', TYPE.A, { edns: {} }),
  query('www.elsewhere.net', TYPE.A, { edns: { options: [ecsOption('192.0.2.0/24')] } }),
  query('www.example.test', TYPE.A, { edns: { version: 1 } }),
  query('www.example.test', TYPE.AXFR),
  query('www.example.test', TYPE.A, { qclass: 3 }),
  query('www.example.test', TYPE.A, { opcode: 2 }),
  // A cookie-only query (RFC 7873 5.4): no question, just the OPT.
  message({
    questions: [],
    additional: [optBytes({ options: [{ code: COOKIE, data: clientCookie }] })],
  }),
  message({
    questions: [questionBytes('w2.fuzz.test', TYPE.A)],
    additional: [optBytes({ udpSize: 65535, dnssecOk: true })],
  }),
];

/** The OPT option codes the generators use: ECS, cookie, EDE, padding, NSID, keepalive, unknown. */
export const OPTION_CODES = [8, 10, 15, 12, 3, 11, 65001] as const;

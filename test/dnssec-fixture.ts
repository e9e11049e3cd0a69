// A small zone with every kind of record geosteer serves, signed by src/dnssec and written as a
// master file for BIND's and ldns's verifiers (independent implementations).
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import { Type, typeName } from '../src/wire/constants.js';
import type { RData, RRset } from '../src/wire/rr.js';
import { rdataText } from '../src/zone/present.js';
import { dnssecLines } from '../src/dnssec/present.js';
import { isDnssecRData, type SignableRRset } from '../src/dnssec/records.js';

export const ZONE = 'example.test';

function address(a: string): RData {
  const bytes = isIP(a) === 4 ? Uint8Array.from(a.split('.').map(Number)) : ipv6Bytes(a);
  return isIP(a) === 4 ? { kind: 'a', address: a, bytes } : { kind: 'aaaa', address: a, bytes };
}

function ipv6Bytes(a: string): Uint8Array {
  const [head, tail] = a.split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

const txt = (...s: string[]): RData => ({ kind: 'txt', strings: s.map((x) => Buffer.from(x)) });

/** Owners and RDATA names carry capitals on purpose: signing must lowercase them (RFC 4034 6.2). */
export function zoneRRsets(): RRset[] {
  return [
    {
      name: ZONE,
      type: Type.SOA,
      ttl: 3600,
      rdata: [
        {
          kind: 'soa',
          mname: 'NS1.example.test',
          rname: 'hostmaster.example.test',
          serial: 2026120401,
          refresh: 7200,
          retry: 900,
          expire: 1209600,
          minimum: 300,
        },
      ],
    },
    { name: ZONE, type: Type.NS, ttl: 3600, rdata: [{ kind: 'name', name: 'ns1.Example.test' }] },
    {
      name: ZONE,
      type: Type.MX,
      ttl: 3600,
      rdata: [{ kind: 'mx', preference: 10, exchange: 'Mail.Example.Test' }],
    },
    { name: ZONE, type: Type.TXT, ttl: 300, rdata: [txt('v=spf1 -all')] },
    { name: 'ns1.example.test', type: Type.A, ttl: 3600, rdata: [address('192.0.2.53')] },
    { name: 'mail.example.test', type: Type.A, ttl: 3600, rdata: [address('192.0.2.25')] },
    {
      name: 'WWW.example.test',
      type: Type.A,
      ttl: 60,
      rdata: [address('192.0.2.2'), address('192.0.2.1')],
    },
    { name: 'WWW.example.test', type: Type.AAAA, ttl: 60, rdata: [address('2001:db8::1')] },
    { name: '*.wild.example.test', type: Type.A, ttl: 60, rdata: [address('198.51.100.7')] },
    { name: 'txt.example.test', type: Type.TXT, ttl: 300, rdata: [txt('hello', 'world "quoted"')] },
    {
      name: 'alias.example.test',
      type: Type.CNAME,
      ttl: 300,
      rdata: [{ kind: 'name', name: 'WWW.Example.Test' }],
    },
  ];
}

export function masterFile(rrsets: readonly SignableRRset[], nowSec: number): string {
  const lines: string[] = [];
  for (const set of rrsets) {
    if (set.rdata.every(isDnssecRData)) lines.push(...dnssecLines(set, nowSec));
    else
      for (const rd of set.rdata as RData[])
        lines.push(`${set.name}.\t${set.ttl}\tIN\t${typeName(set.type)}\t${rdataText(rd)}`);
  }
  return lines.join('\n') + '\n';
}

export interface Run {
  code: number;
  out: string;
}

/** Run a tool to completion (bounded by a timeout); never throws on a non-zero exit. */
export function run(cmd: string, args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
        out: `${stdout}${stderr}`,
      }),
    ),
  );
}

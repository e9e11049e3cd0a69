// RFC 9824 compact answers: the NSEC for a nonexistent name or type, exact in wire and text form.
import { describe, expect, it } from 'vitest';
import {
  compactDenialNsec,
  EDNS_CO,
  negativeTtl,
  successorName,
} from '../src/dnssec/compact-denial.js';
import { keyMaterialFromSecret } from '../src/dnssec/algorithm.js';
import { makeKey } from '../src/dnssec/keys.js';
import { dnssecLines } from '../src/dnssec/present.js';
import { canonicalName, readTypeBitmap, rdataWire } from '../src/dnssec/records.js';
import { signRRset, verifyRrsig } from '../src/dnssec/sign.js';
import { Type } from '../src/wire/constants.js';
import { wireLength } from '../src/wire/name.js';

describe('compact denial NSEC', () => {
  it('NXDOMAIN: next name \\000.<qname>, bitmap RRSIG NSEC NXNAME', () => {
    const nsec = compactDenialNsec('Nope.Example.Test', { kind: 'nxdomain' }, 300);
    expect(dnssecLines(nsec)).toEqual([
      'Nope.Example.Test.\t300\tIN\tNSEC\t\\000.nope.example.test. RRSIG NSEC TYPE128',
    ]);
    const wire = rdataWire(nsec.rdata[0]!);
    const next = canonicalName('\\000.nope.example.test');
    expect(wire.subarray(0, next.length).toString('hex')).toBe(
      '0100' + next.subarray(2).toString('hex'),
    );
    // Window 0, 17 octets: bits 46 and 47 in octet 5 (0x03), bit 128 in octet 16 (0x80).
    expect(wire.subarray(next.length).toString('hex')).toBe(
      '0011' + '00000000000300000000000000000000' + '80',
    );
    expect(readTypeBitmap(wire.subarray(next.length))).toEqual([46, 47, 128]);
  });

  it('NODATA: the types the name has plus RRSIG and NSEC, never the type asked', () => {
    const nsec = compactDenialNsec(
      'www.example.test',
      { kind: 'nodata', types: [Type.AAAA, Type.A] },
      60,
    );
    expect(nsec.rdata[0]).toEqual({
      kind: 'nsec',
      next: '\\000.www.example.test',
      types: [1, 28, 46, 47],
    });
  });

  it('an empty non-terminal proves no data with RRSIG and NSEC alone', () => {
    const nsec = compactDenialNsec('ent.example.test', { kind: 'nodata', types: [] }, 60);
    expect(nsec.rdata[0]).toMatchObject({ types: [46, 47] });
  });

  it('the NSEC is signed like any RRset and verifies', () => {
    const key = makeKey('example.test', 257, keyMaterialFromSecret(15, Buffer.alloc(32, 7)), {});
    const nsec = compactDenialNsec('nx.example.test', { kind: 'nxdomain' }, 300);
    const sig = signRRset(nsec, key, Date.UTC(2026, 0, 1));
    expect(sig).toMatchObject({ typeCovered: 47, labels: 3, originalTtl: 300 });
    expect(verifyRrsig(nsec, sig, key.material.publicKey)).toBe(true);
  });

  it('a 255-octet name has no room for \\000: the last octet of its first label is incremented', () => {
    const label = 'a'.repeat(63);
    const long = [label, label, label, 'b'.repeat(61)].join('.');
    expect(wireLength(long)).toBe(255);
    expect(successorName(long)).toBe(
      [label.slice(0, 62) + 'b', label, label, 'b'.repeat(61)].join('.'),
    );
    expect(successorName('x.example')).toBe('\\000.x.example');
  });

  it('negative TTL is min(SOA TTL, MINIMUM) (RFC 9077 3.2)', () => {
    const soa = (ttl: number, minimum: number) => ({
      name: 'example.test',
      type: Type.SOA,
      ttl,
      rdata: [
        {
          kind: 'soa',
          mname: 'ns',
          rname: 'h',
          serial: 1,
          refresh: 1,
          retry: 1,
          expire: 1,
          minimum,
        } as const,
      ],
    });
    expect(negativeTtl(soa(3600, 300))).toBe(300);
    expect(negativeTtl(soa(60, 300))).toBe(60);
  });

  it('the CO flag is bit 1 of the EDNS flags (RFC 9824 5.1)', () => {
    expect(EDNS_CO).toBe(0x4000);
  });
});

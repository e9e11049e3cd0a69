// Signing primitives against the RFCs' own examples (RFC 6605 6.1, RFC 8080 6.1, RFC 4034 4.3)
// and the canonical-form rules of RFC 4034 6.
import { describe, expect, it } from 'vitest';
import { keyMaterialFromSecret } from '../src/dnssec/algorithm.js';
import { compareCanonicalNames } from '../src/dnssec/canonical-order.js';
import { dsRData, keyTag, makeKey } from '../src/dnssec/keys.js';
import { formatTimestamp, parseTimestamp, rrsigTime } from '../src/dnssec/present.js';
import { readTypeBitmap, rdataWire, typeBitmap } from '../src/dnssec/records.js';
import { rrsigLabels, signRRset, verifyRrsig } from '../src/dnssec/sign.js';
import type { RRset } from '../src/wire/rr.js';

const a = (address: string) =>
  ({ kind: 'a', address, bytes: Uint8Array.from(address.split('.').map(Number)) }) as const;

// RFC 6605 6.1: the ECDSA P-256 example key of example.net.
const ecdsa = makeKey(
  'example.net',
  257,
  keyMaterialFromSecret(13, Buffer.from('GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=', 'base64')),
  {},
);
// RFC 8080 6.1: the Ed25519 example key of example.com.
const ed25519 = makeKey(
  'example.com',
  257,
  keyMaterialFromSecret(15, Buffer.from('ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=', 'base64')),
  {},
);

describe('keys from the RFC examples', () => {
  it('RFC 6605 6.1: public key, key tag 55648 and SHA-256 DS', () => {
    expect(Buffer.from(ecdsa.material.publicKey).toString('base64')).toBe(
      'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
    );
    expect(ecdsa.tag).toBe(55648);
    expect(Buffer.from(dsRData(ecdsa).digest).toString('hex')).toBe(
      'b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17',
    );
  });

  it('RFC 8080 6.1: public key, key tag 3613 and SHA-256 DS', () => {
    expect(Buffer.from(ed25519.material.publicKey).toString('base64')).toBe(
      'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
    );
    expect(ed25519.tag).toBe(3613);
    expect(dsRData(ed25519)).toMatchObject({ keyTag: 3613, algorithm: 15, digestType: 2 });
    expect(Buffer.from(dsRData(ed25519).digest).toString('hex')).toBe(
      '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b',
    );
  });

  it('key tag is the RFC 4034 Appendix B sum', () => {
    expect(keyTag(Uint8Array.from([0x01, 0x01, 0x03, 0x0d]))).toBe(0x0101 + 0x030d);
    expect(keyTag(Uint8Array.from([0xff, 0xff, 0x00, 0x02]))).toBe((0xffff + 0x0002 + 1) & 0xffff);
  });
});

describe('RRSIG', () => {
  it('RFC 8080 6.1: the Ed25519 signature of the MX RRset is reproduced octet for octet', () => {
    const mx: RRset = {
      name: 'example.com',
      type: 15,
      ttl: 3600,
      rdata: [{ kind: 'mx', preference: 10, exchange: 'mail.example.com' }],
    };
    const sig = signRRset(mx, ed25519, 1438207200_000, {
      validity: 1440021600 - 1438207200,
      inceptionBackdate: 0,
    });
    expect(sig).toMatchObject({ typeCovered: 15, algorithm: 15, labels: 2, originalTtl: 3600 });
    expect([sig.inception, sig.expiration, sig.keyTag, sig.signerName]).toEqual([
      1438207200,
      1440021600,
      3613,
      'example.com',
    ]);
    expect(Buffer.from(sig.signature).toString('base64')).toBe(
      'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==',
    );
  });

  it('RFC 6605 6.1: the ECDSA signature of www.example.net A verifies (r|s form)', () => {
    const set: RRset = { name: 'www.example.net', type: 1, ttl: 3600, rdata: [a('192.0.2.1')] };
    const sig = {
      kind: 'rrsig',
      typeCovered: 1,
      algorithm: 13,
      labels: 3,
      originalTtl: 3600,
      expiration: parseTimestamp('20100909100439')!,
      inception: parseTimestamp('20100812100439')!,
      keyTag: 55648,
      signerName: 'example.net',
      signature: Buffer.from(
        'qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==',
        'base64',
      ),
    } as const;
    expect(verifyRrsig(set, sig, ecdsa.material.publicKey)).toBe(true);
    expect(verifyRrsig({ ...set, rdata: [a('192.0.2.2')] }, sig, ecdsa.material.publicKey)).toBe(
      false,
    );
  });

  it('signs the canonical form: owner and RDATA names lowercased, RRs sorted, duplicates dropped', () => {
    const upper: RRset = {
      name: 'WWW.Example.NET',
      type: 15,
      ttl: 300,
      rdata: [
        { kind: 'mx', preference: 20, exchange: 'B.Example.net' },
        { kind: 'mx', preference: 10, exchange: 'A.EXAMPLE.NET' },
        { kind: 'mx', preference: 10, exchange: 'a.example.net' },
      ],
    };
    const lower: RRset = {
      name: 'www.example.net',
      type: 15,
      ttl: 300,
      rdata: [
        { kind: 'mx', preference: 10, exchange: 'a.example.net' },
        { kind: 'mx', preference: 20, exchange: 'b.example.net' },
      ],
    };
    const sig = signRRset(upper, ecdsa, Date.UTC(2026, 0, 1));
    expect(sig.signature).toHaveLength(64);
    expect(verifyRrsig(lower, sig, ecdsa.material.publicKey)).toBe(true);
  });

  it('inception is backdated and expiration set from the injected clock', () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0);
    const sig = signRRset(
      { name: 'example.net', type: 1, ttl: 60, rdata: [a('192.0.2.1')] },
      ecdsa,
      now,
      {
        validity: 86400,
        inceptionBackdate: 3600,
      },
    );
    expect([formatTimestamp(sig.inception), formatTimestamp(sig.expiration)]).toEqual([
      '20261204110000',
      '20261205120000',
    ]);
  });

  it.each([
    ['example.net', 2],
    ['www.example.net', 3],
    ['*.example.net', 2],
    ['*.sub.example.net', 3],
    ['', 0],
  ])('labels of %s is %i (RFC 4034 3.1.3)', (owner, n) => {
    expect(rrsigLabels(owner)).toBe(n);
  });

  it('refuses to sign a name outside the key’s zone', () => {
    expect(() =>
      signRRset({ name: 'example.org', type: 1, ttl: 60, rdata: [a('192.0.2.1')] }, ecdsa, 0),
    ).toThrow('not in zone example.net');
  });
});

describe('wire and presentation details', () => {
  it('RFC 4034 4.3: the type bitmap of A MX RRSIG NSEC TYPE1234', () => {
    const bitmap = typeBitmap([1, 15, 46, 47, 1234]);
    const expected = Buffer.from([
      0x00,
      0x06,
      0x40,
      0x01,
      0x00,
      0x00,
      0x00,
      0x03,
      0x04,
      0x1b,
      ...Array<number>(26).fill(0),
      0x20,
    ]);
    expect(bitmap.toString('hex')).toBe(expected.toString('hex'));
    expect(readTypeBitmap(bitmap)).toEqual([1, 15, 46, 47, 1234]);
  });

  it('RFC 4034 6.1: canonical name order', () => {
    const names = [
      'z.example',
      'Z.a.example',
      '*.z.example',
      'example',
      '\\200.z.example',
      'zABC.a.EXAMPLE',
      'a.example',
      'yljkjljk.a.example',
      '\\001.z.example',
    ];
    expect(names.sort(compareCanonicalNames)).toEqual([
      'example',
      'a.example',
      'yljkjljk.a.example',
      'Z.a.example',
      'zABC.a.EXAMPLE',
      'z.example',
      '\\001.z.example',
      '*.z.example',
      '\\200.z.example',
    ]);
  });

  it('escaped capitals fold too (octets, not characters)', () => {
    expect(rdataWire({ kind: 'name', name: '\\065B.example' }).toString('latin1')).toBe(
      '\x02ab\x07example\x00',
    );
  });

  it('RRSIG times are serial numbers: the absolute time is the one nearest the clock', () => {
    const t = parseTimestamp('21060207062817')!; // past 2^32 seconds
    expect(rrsigTime(t % 2 ** 32, t - 86400.5)).toBe(t);
    expect(rrsigTime(parseTimestamp('20261204120000')!, 1796400000.9)).toBe(
      parseTimestamp('20261204120000'),
    );
    expect(parseTimestamp('20260230000000')).toBeNull();
  });
});

// DNSSEC signing algorithms geosteer generates and reads: ECDSA P-256 with SHA-256 (RFC 6605) and
// Ed25519 (RFC 8080), the two RFC 8624 3.1 recommends for signing. Everything here is node:crypto.
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

export const Algorithm = { ECDSAP256SHA256: 13, ED25519: 15 } as const;
export type AlgorithmNumber = (typeof Algorithm)[keyof typeof Algorithm];

/** Mnemonics as RFC 8624 and BIND's Algorithm: line spell them. */
export const ALGORITHM_NAMES: Record<AlgorithmNumber, string> = {
  13: 'ECDSAP256SHA256',
  15: 'ED25519',
};

export function isAlgorithm(n: number): n is AlgorithmNumber {
  return n === 13 || n === 15;
}

/** A private key with its DNSKEY public key field (RFC 6605 4, RFC 8080 3). */
export interface KeyMaterial {
  algorithm: AlgorithmNumber;
  privateKey: KeyObject;
  /** DNSKEY Public Key field: Q = x | y (64 octets) for 13, the 32-octet key for 15. */
  publicKey: Uint8Array;
  /** The private scalar (13) or seed (15), as BIND's PrivateKey: field holds it. */
  secret: Uint8Array;
}

const b64u = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');

export function generateKeyMaterial(algorithm: AlgorithmNumber): KeyMaterial {
  const { privateKey } =
    algorithm === 13
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  return fromPrivateKey(algorithm, privateKey);
}

function fromPrivateKey(algorithm: AlgorithmNumber, privateKey: KeyObject): KeyMaterial {
  const jwk = privateKey.export({ format: 'jwk' });
  // RFC 6605 4: the public key is the uncompressed point without its 0x04 prefix, x then y.
  const publicKey =
    algorithm === 13 ? Buffer.concat([pad32(b64u(jwk.x)), pad32(b64u(jwk.y))]) : b64u(jwk.x);
  const secret = algorithm === 13 ? pad32(b64u(jwk.d)) : b64u(jwk.d);
  return { algorithm, privateKey, publicKey, secret };
}

function pad32(b: Buffer): Buffer {
  return b.length >= 32 ? b : Buffer.concat([Buffer.alloc(32 - b.length), b]);
}

/**
 * Rebuild the key from the private scalar or seed alone (BIND's .private files hold nothing else).
 * Throws when the octets are not a valid key for the algorithm.
 */
export function keyMaterialFromSecret(algorithm: AlgorithmNumber, secret: Uint8Array): KeyMaterial {
  if (secret.length !== 32)
    throw new Error(
      `PrivateKey: ${ALGORITHM_NAMES[algorithm]} needs 32 octets, got ${secret.length}`,
    );
  if (algorithm === 13) {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(secret));
    const point = ecdh.getPublicKey();
    const key = createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: Buffer.from(secret).toString('base64url'),
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33, 65).toString('base64url'),
      },
      format: 'jwk',
    });
    return fromPrivateKey(13, key);
  }
  // RFC 8410 7: an Ed25519 PKCS #8 key is this fixed prefix followed by the 32-octet seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secret]);
  return fromPrivateKey(15, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

/**
 * Sign `data`. RFC 6605 4: ECDSA signatures are r | s, 32 octets each (node's 'ieee-p1363'
 * encoding), not DER. RFC 8080 4: Ed25519 signs the data itself, no separate hash.
 */
export function signData(key: KeyMaterial, data: Uint8Array): Buffer {
  return key.algorithm === 13
    ? sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign(null, data, key.privateKey);
}

/** Verify a signature against a DNSKEY public key field (used by tests and key-file checks). */
export function verifyData(
  algorithm: AlgorithmNumber,
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key =
    algorithm === 13
      ? createPublicKey({
          key: {
            kty: 'EC',
            crv: 'P-256',
            x: Buffer.from(publicKey.subarray(0, 32)).toString('base64url'),
            y: Buffer.from(publicKey.subarray(32, 64)).toString('base64url'),
          },
          format: 'jwk',
        })
      : createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
          format: 'jwk',
        });
  return algorithm === 13
    ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
    : verify(null, data, key, signature);
}

// Key files in BIND's format (dnssec-keygen(8)), so BIND's and Knot's tools read geosteer's keys and
// geosteer reads theirs: K<zone>.+<alg>+<tag>.key holds the DNSKEY RR in master-file syntax,
// K<zone>.+<alg>+<tag>.private the private key and the timing metadata (Private-key-format v1.3).
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { foldCase } from '../wire/name.js';
import { ALGORITHM_NAMES, isAlgorithm, keyMaterialFromSecret } from './algorithm.js';
import { type DnssecKey, type KeyTiming, makeKey, TIMING_FIELDS } from './keys.js';
import { DNSKEY_PROTOCOL, DNSKEY_SEP } from './records.js';
import { base64Groups, formatTimestamp, parseTimestamp } from './present.js';

export class KeyFileError extends Error {}

/** "Kexample.com.+013+01234": BIND's base name, the zone with its trailing dot. */
export function keyBaseName(key: DnssecKey): string {
  const alg = String(key.material.algorithm).padStart(3, '0');
  return `K${key.zone}.+${alg}+${String(key.tag).padStart(5, '0')}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3)-style date, in UTC: "Fri Dec  4 04:14:15 2026", as BIND's comment lines show. */
function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const hms = d.toISOString().slice(11, 19);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${hms} ${d.getUTCFullYear()}`;
}

export function keyFileText(key: DnssecKey): string {
  const role = key.flags & DNSKEY_SEP ? 'key-signing' : 'zone-signing';
  const lines = [`; This is a ${role} key, keyid ${key.tag}, for ${key.zone}.`];
  for (const [field, label] of TIMING_FIELDS) {
    const t = key.timing[field];
    if (t !== undefined) lines.push(`; ${label}: ${formatTimestamp(t)} (${ctime(t)})`);
  }
  const ttl = key.ttl === undefined ? '' : `${key.ttl} `;
  lines.push(
    `${key.zone}. ${ttl}IN DNSKEY ${key.flags} ${DNSKEY_PROTOCOL} ${key.material.algorithm} ${base64Groups(key.material.publicKey)}`,
  );
  return lines.join('\n') + '\n';
}

export function privateFileText(key: DnssecKey): string {
  const alg = key.material.algorithm;
  const lines = [
    'Private-key-format: v1.3',
    `Algorithm: ${alg} (${ALGORITHM_NAMES[alg]})`,
    `PrivateKey: ${Buffer.from(key.material.secret).toString('base64')}`,
  ];
  for (const [field, label] of TIMING_FIELDS) {
    const t = key.timing[field];
    if (t !== undefined) lines.push(`${label}: ${formatTimestamp(t)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Write both files. The directory is created 0700 and the .private file 0600 (as dnssec-keygen
 * does): the private key signs for the zone. Existing files are never overwritten.
 */
export async function writeKeyFiles(
  dir: string,
  key: DnssecKey,
): Promise<{ key: string; private: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, keyBaseName(key));
  const priv = `${base}.private`;
  await writeFile(priv, privateFileText(key), { mode: 0o600, flag: 'wx' });
  await chmod(priv, 0o600); // a umask cannot loosen it, but be explicit
  await writeFile(`${base}.key`, keyFileText(key), { mode: 0o644, flag: 'wx' });
  return { key: `${base}.key`, private: priv };
}

/**
 * Rewrite an existing key's two files with its (changed) timing metadata, as dnssec-settime
 * does. Each file is written beside itself and renamed over it, so a server reloading meanwhile
 * reads the old file or the new one, never half of one; the .private file stays mode 0600.
 */
export async function rewriteKeyTiming(dir: string, key: DnssecKey): Promise<void> {
  const base = join(dir, keyBaseName(key));
  await writeFile(`${base}.private.tmp`, privateFileText(key), { mode: 0o600 });
  await chmod(`${base}.private.tmp`, 0o600);
  await writeFile(`${base}.key.tmp`, keyFileText(key), { mode: 0o644 });
  await rename(`${base}.private.tmp`, `${base}.private`);
  await rename(`${base}.key.tmp`, `${base}.key`);
}

/**
 * Reads the DNSKEY record of a .key file: OWNER [TTL] [IN] DNSKEY FLAGS 3 ALG BASE64..., on one
 * line as BIND writes it or spread over several inside parentheses (RFC 1035 5.1).
 */
function parseKeyFile(file: string, text: string) {
  const lines = text.split('\n').map((l) => l.replace(/;.*$/, ''));
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (!line.trim()) continue;
    const where = `${file}:${i + 1}`;
    // A record opened with "(" continues up to the matching ")".
    for (let j = i + 1; line.includes('(') && !line.includes(')') && j < lines.length; j++)
      line += ' ' + lines[j];
    line = line.replace(/[()]/g, ' ').trim();
    const tok = line.split(/\s+/);
    const owner = tok.shift()!;
    let ttl: number | undefined;
    while (tok.length && tok[0]!.toUpperCase() !== 'DNSKEY') {
      const t = tok.shift()!;
      if (/^\d+$/.test(t)) ttl = Number(t);
      else if (t.toUpperCase() !== 'IN')
        throw new KeyFileError(`${where}: expected TTL, IN or DNSKEY, got "${t}"`);
    }
    if (!tok.length) throw new KeyFileError(`${where}: no DNSKEY record`);
    const [, flags, protocol, alg, ...b64] = tok;
    if (
      !/^\d+$/.test(flags ?? '') ||
      !/^\d+$/.test(protocol ?? '') ||
      !/^\d+$/.test(alg ?? '') ||
      !b64.length
    )
      throw new KeyFileError(`${where}: DNSKEY needs FLAGS PROTOCOL ALGORITHM PUBLICKEY`);
    if (Number(protocol) !== DNSKEY_PROTOCOL)
      throw new KeyFileError(
        `${where}: DNSKEY protocol must be 3 (RFC 4034 2.1.2), got ${protocol}`,
      );
    return {
      owner: foldCase(owner.replace(/\.$/, '')),
      ttl,
      flags: Number(flags),
      algorithm: Number(alg),
      publicKey: Buffer.from(b64.join(''), 'base64'),
      where,
    };
  }
  throw new KeyFileError(`${file}: no DNSKEY record`);
}

function parsePrivateFile(file: string, text: string) {
  const fields = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith(';')) return;
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!m) throw new KeyFileError(`${file}:${i + 1}: expected "Field: value", got "${line}"`);
    fields.set(m[1]!, { value: m[2]!, line: i + 1 });
  });
  const need = (name: string) => {
    const f = fields.get(name);
    if (!f) throw new KeyFileError(`${file}: missing ${name}:`);
    return f;
  };
  const format = need('Private-key-format');
  if (!/^v1\.[2-9]$/.test(format.value))
    throw new KeyFileError(
      `${file}:${format.line}: unsupported Private-key-format ${format.value}`,
    );
  const alg = need('Algorithm');
  const algorithm = Number(/^(\d+)/.exec(alg.value)?.[1] ?? NaN);
  if (!isAlgorithm(algorithm))
    throw new KeyFileError(
      `${file}:${alg.line}: algorithm ${alg.value} is not supported (geosteer signs with 13 ECDSAP256SHA256 and 15 ED25519)`,
    );
  const secret = Buffer.from(need('PrivateKey').value, 'base64');
  const timing: KeyTiming = {};
  for (const [field, label] of TIMING_FIELDS) {
    const f = fields.get(label);
    if (!f) continue;
    // BIND writes 0 for a time it was asked to unset.
    if (f.value === '0') continue;
    const t = parseTimestamp(f.value);
    if (t === null)
      throw new KeyFileError(
        `${file}:${f.line}: ${label}: not a YYYYMMDDHHMMSS time: "${f.value}"`,
      );
    timing[field] = t;
  }
  return { algorithm, secret, timing };
}

/** Read one key from its base path (without .key/.private) and check the two files agree. */
export async function readKey(base: string): Promise<DnssecKey> {
  const pub = parseKeyFile(`${base}.key`, await readFile(`${base}.key`, 'utf8'));
  const priv = parsePrivateFile(`${base}.private`, await readFile(`${base}.private`, 'utf8'));
  if (pub.algorithm !== priv.algorithm)
    throw new KeyFileError(
      `${pub.where}: algorithm ${pub.algorithm} differs from the .private file's ${priv.algorithm}`,
    );
  let material;
  try {
    material = keyMaterialFromSecret(priv.algorithm, priv.secret);
  } catch (e) {
    throw new KeyFileError(`${base}.private: PrivateKey: ${(e as Error).message}`);
  }
  if (!Buffer.from(material.publicKey).equals(pub.publicKey))
    throw new KeyFileError(
      `${pub.where}: the public key does not belong to the private key in ${base}.private`,
    );
  return makeKey(pub.owner, pub.flags, material, priv.timing, pub.ttl);
}

/**
 * Every key of `zone` in `dir` (files named K<zone>.+<alg>+<tag>.key, any letter case), sorted
 * by algorithm then tag. Keys of algorithms geosteer does not sign with are reported as problems.
 */
export async function readZoneKeys(
  dir: string,
  zone: string,
): Promise<{ keys: DnssecKey[]; problems: string[] }> {
  const want = foldCase(zone.replace(/\.$/, ''));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [], problems: [] };
    throw e;
  }
  const keys: DnssecKey[] = [];
  const problems: string[] = [];
  for (const name of names.sort()) {
    const m = /^K(.*)\.\+(\d{3})\+(\d{5})\.key$/.exec(name);
    if (!m || foldCase(m[1]!) !== want) continue;
    try {
      const key = await readKey(join(dir, name.slice(0, -'.key'.length)));
      if (key.zone !== want)
        problems.push(`${join(dir, name)}: owner ${key.zone} is not zone ${want}`);
      else if (key.tag !== Number(m[3]))
        problems.push(
          `${join(dir, name)}: key tag is ${key.tag}, not ${Number(m[3])} as the file name says`,
        );
      else keys.push(key);
    } catch (e) {
      problems.push(
        e instanceof KeyFileError ? e.message : `${join(dir, name)}: ${(e as Error).message}`,
      );
    }
  }
  keys.sort((a, b) => a.material.algorithm - b.material.algorithm || a.tag - b.tag);
  return { keys, problems };
}

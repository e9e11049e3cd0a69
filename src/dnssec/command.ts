// `geosteer dnssec keygen|ds|status`: make keys in BIND's format, print what the parent needs,
// and show where each key stands. docs/dnssec.md describes them.
import type { Command } from 'commander';
import { nameToLabels, MAX_LABEL_OCTETS, wireLength, MAX_NAME_OCTETS } from '../wire/name.js';
import { ALGORITHM_NAMES, isAlgorithm } from './algorithm.js';
import { keyBaseName, readZoneKeys, writeKeyFiles } from './key-files.js';
import { isPublished, keyState, nextEvent } from './key-state.js';
import { dsRData, generateKey, keyRData, keyRole, type DnssecKey } from './keys.js';
import { dnssecRdataText } from './present.js';
import { DNSKEY_SEP } from './records.js';
import {
  finishKskRollover,
  rolloverStage,
  startKskRollover,
  startZskRollover,
} from './rollover.js';
import { duration as parseDuration } from './duration.js';

/** Relative to the working directory; the zone configuration will name its own (issue #13). */
export const DEFAULT_KEY_DIR = 'keys';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Milliseconds since the epoch. */
  now(): number;
}

const STDIO: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  now: Date.now,
};

function zoneName(zone: string): string | null {
  const name = zone.replace(/\.$/, '').toLowerCase();
  const labels = nameToLabels(name);
  if (name !== '' && labels.some((l) => l.length === 0 || l.length > MAX_LABEL_OCTETS)) return null;
  return wireLength(name) <= MAX_NAME_OCTETS ? name : null;
}

/** UTC, second precision: "2026-12-04 12:00:00". */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

export async function keygen(
  zone: string,
  opts: { algorithm: string; kskZsk?: boolean; dir: string },
  io: Io = STDIO,
): Promise<number> {
  const name = zoneName(zone);
  if (name === null) return fail(io, `keygen: not a domain name: "${zone}"`);
  const algorithm = Number(opts.algorithm);
  if (!isAlgorithm(algorithm))
    return fail(
      io,
      `keygen: --algorithm must be 13 (ECDSAP256SHA256) or 15 (ED25519), got "${opts.algorithm}"`,
    );
  const { keys, problems } = await readZoneKeys(opts.dir, name);
  for (const p of problems) io.err(`${p}\n`);
  const now = Math.floor(io.now() / 1000);
  const tags = new Set(keys.map((k) => k.tag));
  const made: DnssecKey[] = [];
  for (const sep of opts.kskZsk ? [true, false] : [true]) {
    const key = generateKey(name, { algorithm, sep, now, avoidTags: tags });
    tags.add(key.tag);
    made.push(key);
  }
  for (const key of made) {
    const files = await writeKeyFiles(opts.dir, key);
    const role = keyRole(key, made);
    io.out(`${role} ${key.tag} ${ALGORITHM_NAMES[algorithm]}: ${files.key} ${files.private}\n`);
  }
  if (keys.length)
    io.out(
      `note: the ${keys.length} key(s) already in ${opts.dir} for ${name}. are unchanged; see geosteer dnssec status ${name || '.'} --dir ${opts.dir}\n`,
    );
  io.out(`next: give the parent the DS of "geosteer dnssec ds ${name || '.'} --dir ${opts.dir}"\n`);
  return 0;
}

export async function ds(zone: string, opts: { dir: string }, io: Io = STDIO): Promise<number> {
  const name = zoneName(zone);
  if (name === null) return fail(io, `ds: not a domain name: "${zone}"`);
  const { keys, problems } = await readZoneKeys(opts.dir, name);
  for (const p of problems) io.err(`${p}\n`);
  const now = Math.floor(io.now() / 1000);
  const sep = keys.filter((k) => k.flags & DNSKEY_SEP && keyState(k.timing, now) !== 'deleted');
  if (!sep.length)
    return fail(
      io,
      `ds: no key-signing key for ${name}. in ${opts.dir} (run geosteer dnssec keygen ${name})`,
    );
  for (const k of sep) {
    const state = keyState(k.timing, now);
    io.out(
      `; ${keyRole(k, keys)} ${k.tag} (${ALGORITHM_NAMES[k.material.algorithm]}), ${state}: ${keyBaseName(k)}\n`,
    );
    // The same line dnssec-dsfromkey -2 prints: RFC 4509 SHA-256 digest.
    io.out(`${name}. IN DS ${dnssecRdataText(dsRData(k))}\n`);
    io.out(`${name}. IN DNSKEY ${dnssecRdataText(keyRData(k))}\n`);
  }
  return problems.length ? 1 : 0;
}

export async function status(zone: string, opts: { dir: string }, io: Io = STDIO): Promise<number> {
  const name = zoneName(zone);
  if (name === null) return fail(io, `status: not a domain name: "${zone}"`);
  const { keys, problems } = await readZoneKeys(opts.dir, name);
  for (const p of problems) io.err(`${p}\n`);
  const now = Math.floor(io.now() / 1000);
  io.out(`zone ${name}.: ${keys.length} key(s) in ${opts.dir} at ${isoTime(now)} UTC\n`);
  for (const k of keys) {
    const next = nextEvent(k.timing, now);
    io.out(
      [
        `  ${keyRole(k, keys)}`,
        String(k.tag).padStart(5),
        `${k.material.algorithm} ${ALGORITHM_NAMES[k.material.algorithm]}`.padEnd(18),
        keyState(k.timing, now).padEnd(9),
        next ? `next: ${next.event} ${isoTime(next.at)}` : 'next: none scheduled',
      ].join('  ') + '\n',
    );
  }
  for (const line of rolloverStage(keys, now)) io.out(`  ${line}\n`);
  // What a validator would need at this moment: a published SEP key to anchor the DS, and a key
  // signing the zone data (RFC 4035 2.1, 2.2).
  const published = keys.filter((k) => isPublished(k.timing, now));
  const signing = keys.filter((k) => keyState(k.timing, now) === 'active');
  if (!published.some((k) => k.flags & DNSKEY_SEP))
    io.out(`  warning: no published key-signing key\n`);
  if (!signing.some((k) => keyRole(k, keys) !== 'KSK'))
    io.out(`  warning: no active key signs the zone's records\n`);
  return keys.length && !problems.length ? 0 : 1;
}

export async function rollover(
  zone: string,
  opts: { zsk?: boolean; ksk?: boolean; finish?: boolean; interval: string; dir: string },
  io: Io = STDIO,
): Promise<number> {
  const name = zoneName(zone);
  if (name === null) return fail(io, `rollover: not a domain name: "${zone}"`);
  if (!opts.zsk === !opts.ksk) return fail(io, 'rollover: give one of --zsk or --ksk');
  if (opts.finish && !opts.ksk) return fail(io, 'rollover: --finish ends a --ksk rollover');
  const interval = parseDuration(opts.interval);
  if (interval === null)
    return fail(
      io,
      `rollover: --interval must be a duration such as 2h or 3600, got "${opts.interval}"`,
    );
  const { keys, problems } = await readZoneKeys(opts.dir, name);
  if (problems.length) {
    for (const p of problems) io.err(`${p}\n`);
    return 1;
  }
  const now = Math.floor(io.now() / 1000);
  const plan = opts.zsk
    ? await startZskRollover(opts.dir, keys, now, interval)
    : opts.finish
      ? await finishKskRollover(opts.dir, keys, now, interval)
      : await startKskRollover(opts.dir, keys, now);
  if (typeof plan === 'string') return fail(io, `rollover: ${plan}`);
  const after = [
    ...keys.filter((k) => !plan.retired.some((r) => r.tag === k.tag)),
    ...plan.retired,
  ];
  if (plan.made) after.push(plan.made);
  if (plan.made)
    io.out(`new ${keyRole(plan.made, after)} ${plan.made.tag}: ${keyBaseName(plan.made)}\n`);
  for (const k of plan.retired)
    io.out(
      `${keyRole(k, after)} ${k.tag}: Inactive ${isoTime(k.timing.inactive!)}, Delete ${isoTime(k.timing.delete!)}\n`,
    );
  if (opts.ksk && !opts.finish)
    io.out(
      `next: give the parent the new DS beside the old one: geosteer dnssec ds ${name} --dir ${opts.dir}\n`,
    );
  io.out(
    `reload geosteer on every instance (after copying ${opts.dir} to each) to apply the new times\n`,
  );
  return 0;
}

function fail(io: Io, message: string): number {
  io.err(`dnssec ${message}\n`);
  return 1;
}

/** Adds `dnssec keygen|ds|rollover|status` to the CLI. */
export function addDnssecCommand(program: Command): void {
  const dnssec = program
    .command('dnssec')
    .description('DNSSEC keys in BIND format (docs/dnssec.md)');
  const dirOption = ['-d, --dir <dir>', 'key directory', DEFAULT_KEY_DIR] as const;
  dnssec
    .command('keygen')
    .description('make a combined signing key (CSK), or a KSK and a ZSK with --ksk-zsk')
    .argument('<zone>', 'zone name, e.g. gslb.example.com')
    .option('-a, --algorithm <alg>', '13 (ECDSAP256SHA256) or 15 (ED25519)', '13')
    .option('--ksk-zsk', 'a key-signing key and a zone-signing key instead of one CSK')
    .option(...dirOption)
    .action(async (zone: string, opts: { algorithm: string; kskZsk?: boolean; dir: string }) => {
      process.exitCode = await keygen(zone, opts);
    });
  dnssec
    .command('ds')
    .description('print the DS (SHA-256) and DNSKEY records to give the parent zone')
    .argument('<zone>', 'zone name')
    .option(...dirOption)
    .action(async (zone: string, opts: { dir: string }) => {
      process.exitCode = await ds(zone, opts);
    });
  dnssec
    .command('rollover')
    .description(
      'schedule a rollover in the key files: ZSK pre-publication (--zsk) or KSK/CSK double-DS (--ksk, then --ksk --finish)',
    )
    .argument('<zone>', 'zone name')
    .option('--zsk', 'pre-publish a new ZSK, active after --interval; the old one retires then')
    .option('--ksk', 'add a new KSK/CSK beside the old one (double-DS)')
    .option('--finish', 'with --ksk: retire the old KSK/CSK once the parent serves the new DS')
    .option('--interval <duration>', 'DNSKEY TTL plus time to reload every instance', '2h')
    .option(...dirOption)
    .action(
      async (
        zone: string,
        opts: { zsk?: boolean; ksk?: boolean; finish?: boolean; interval: string; dir: string },
      ) => {
        process.exitCode = await rollover(zone, opts);
      },
    );
  dnssec
    .command('status')
    .description('list the keys, their roles and states now, and their next timing events')
    .argument('<zone>', 'zone name')
    .option(...dirOption)
    .action(async (zone: string, opts: { dir: string }) => {
      process.exitCode = await status(zone, opts);
    });
}

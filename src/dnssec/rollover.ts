// `geosteer dnssec rollover`: schedule a key rollover by writing key timing metadata, the way
// BIND's dnssec-settime would, so the server (which reads the times per answer) carries it out:
// ZSK pre-publication (RFC 6781 4.1.1.1) and KSK/CSK double-DS (RFC 6781 4.1.2).
import { rewriteKeyTiming, writeKeyFiles } from './key-files.js';
import { isPublished, isSigning, keyState } from './key-state.js';
import { type DnssecKey, generateKey, keyRole } from './keys.js';
import { DNSKEY_SEP } from './records.js';

export interface RolloverPlan {
  /** Files written, for the command's output. */
  made: DnssecKey | null;
  retired: DnssecKey[];
}

const sep = (k: DnssecKey) => (k.flags & DNSKEY_SEP) !== 0;

/**
 * ZSK pre-publication: a new ZSK published now and active `interval` seconds later (at least
 * the DNSKEY TTL plus the time every instance needs to reload, so resolvers hold it before it
 * signs); the old ZSK goes inactive then and leaves the DNSKEY RRset `interval` after that (its
 * signatures may still sit in caches for their TTL).
 */
export async function startZskRollover(
  dir: string,
  keys: readonly DnssecKey[],
  now: number,
  interval: number,
): Promise<RolloverPlan | string> {
  const old = keys.filter(
    (k) => !sep(k) && isSigning(k.timing, now) && k.timing.inactive === undefined,
  );
  if (!old.length)
    return 'no active ZSK without a scheduled end: a CSK rolls with --ksk (double-DS), and a rollover already under way shows in status';
  const alg = old[0]!.material.algorithm;
  const made = generateKey(old[0]!.zone, {
    algorithm: alg,
    sep: false,
    now,
    avoidTags: new Set(keys.map((k) => k.tag)),
  });
  const fresh: DnssecKey = {
    ...made,
    timing: { created: now, publish: now, activate: now + interval },
  };
  await writeKeyFiles(dir, fresh);
  const retired = old.map((k) => ({
    ...k,
    timing: { ...k.timing, inactive: now + interval, delete: now + 2 * interval },
  }));
  for (const k of retired) await rewriteKeyTiming(dir, k);
  return { made: fresh, retired };
}

/**
 * KSK or CSK double-DS: a new SEP key, published and signing now beside the old one, whose DS
 * the parent must get next to the old DS. The old key is retired by `finish` once the parent
 * serves the new DS and the old DS has expired from caches.
 */
export async function startKskRollover(
  dir: string,
  keys: readonly DnssecKey[],
  now: number,
): Promise<RolloverPlan | string> {
  const old = keys.filter((k) => sep(k) && isSigning(k.timing, now));
  if (!old.length) return 'no active KSK or CSK to roll';
  if (old.length > 1)
    return `a KSK/CSK rollover is already under way (keys ${old.map((k) => k.tag).join(', ')}): finish it with --finish once the parent has the new DS`;
  const made = generateKey(old[0]!.zone, {
    algorithm: old[0]!.material.algorithm,
    sep: true,
    now,
    avoidTags: new Set(keys.map((k) => k.tag)),
  });
  await writeKeyFiles(dir, made);
  return { made, retired: [] };
}

/** End a double-DS rollover: every active SEP key but the newest stops now and leaves the zone. */
export async function finishKskRollover(
  dir: string,
  keys: readonly DnssecKey[],
  now: number,
  interval: number,
): Promise<RolloverPlan | string> {
  const active = keys
    .filter((k) => sep(k) && isSigning(k.timing, now))
    .sort((a, b) => (b.timing.activate ?? 0) - (a.timing.activate ?? 0));
  if (active.length < 2) return 'no KSK/CSK rollover under way: one active key-signing key';
  const retired = active.slice(1).map((k) => ({
    ...k,
    timing: { ...k.timing, inactive: now, delete: now + interval },
  }));
  for (const k of retired) await rewriteKeyTiming(dir, k);
  return { made: null, retired };
}

/** Where a rollover stands, from the keys' times (for `status`); empty when none is under way. */
export function rolloverStage(keys: readonly DnssecKey[], now: number): string[] {
  const out: string[] = [];
  const live = keys.filter(
    (k) => isPublished(k.timing, now) || keyState(k.timing, now) === 'created',
  );
  const zsks = live.filter((k) => !sep(k));
  if (zsks.length > 1) {
    const waiting = zsks.find((k) => !isSigning(k.timing, now) && k.timing.inactive === undefined);
    const leaving = zsks.find((k) => k.timing.delete !== undefined);
    if (waiting)
      out.push(
        `rollover: ZSK pre-publication, stage 1 of 2: ZSK ${waiting.tag} published, signs from ${iso(waiting.timing.activate)}`,
      );
    else if (leaving)
      out.push(
        `rollover: ZSK pre-publication, stage 2 of 2: ZSK ${leaving.tag} no longer signs, leaves the zone ${iso(leaving.timing.delete)}`,
      );
  }
  const seps = keys.filter((k) => sep(k) && isSigning(k.timing, now));
  if (seps.length > 1)
    out.push(
      `rollover: ${keyRole(seps[0]!, keys)} double-DS: keys ${seps.map((k) => k.tag).join(' and ')} both sign; give the parent both DS (geosteer dnssec ds), then, once the old DS has expired from caches, geosteer dnssec rollover --ksk --finish`,
    );
  return out;
}

function iso(t: number | undefined): string {
  return t === undefined
    ? 'never'
    : new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

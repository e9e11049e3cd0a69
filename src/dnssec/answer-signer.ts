// The server's signer: one signature cache for every zone, each signed zone's keys as they stand
// now (from their timing metadata), and the time until which signed replies may be re-used.
import { isPublished, isSigning, nextEvent } from './key-state.js';
import { keyRData } from './keys.js';
import { DnssecType, rdataWire } from './records.js';
import { signingKeys } from './sign-zone.js';
import { type KeysNow, signAnswer, type SignedZone } from './answer.js';
import { SignatureCache } from './signature-cache.js';
import type { ZoneDnssec } from './zone-keys.js';
import type { Answer } from '../wire/rr.js';
import { Rcode } from '../wire/constants.js';
import { foldCase } from '../wire/name.js';

export interface AnswerSignerOptions {
  /** Milliseconds since the epoch; injected so tests can move the clock (expired signatures). */
  now?: () => number;
  /** Most signatures kept (signature-cache.ts). */
  maxSignatures?: number;
}

interface Schedule {
  readonly keys: KeysNow;
  /** Seconds: the time it was read at (a clock moved back reads it again). */
  readonly from: number;
  /** Seconds: the next key timing event, when the key set must be read again. */
  readonly until: number;
}

/**
 * Signs answers for the zones that have `dnssec:`. The handler asks `stale()` before using its
 * memo: a memoised signed reply is good until one of its signatures is due for refresh or a key
 * event (Publish, Activate, Inactive, Delete) changes the key set, whichever comes first.
 */
export class AnswerSigner {
  readonly cache: SignatureCache;
  private readonly now: () => number;
  private readonly schedules = new WeakMap<ZoneDnssec, Schedule>();
  /** Milliseconds: when memoised signed replies must be dropped; Infinity while none are kept. */
  private dropAt = Infinity;

  constructor(opts: AnswerSignerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.cache = new SignatureCache({ maxEntries: opts.maxSignatures, now: this.now });
  }

  /**
   * True when replies signed so far may no longer be served as they are: the memo starts over,
   * and the replies encoded after it set the next deadline. Costs one comparison while no
   * signed reply is kept, one clock read otherwise.
   */
  stale(): boolean {
    if (this.dropAt === Infinity || this.now() < this.dropAt) return false;
    this.dropAt = Infinity;
    return true;
  }

  /**
   * `answer` signed when `zone` is a signed zone and the query has DO set, else as it is; without
   * DO a signed zone's DNSKEY query still gets the DNSKEY RRset (it is the zone's data), unsigned.
   */
  sign(
    answer: Answer,
    qname: string,
    qtype: number,
    zone: SignedZone | null | undefined,
    dnssecOk: boolean,
    compactOk = false,
  ): Answer {
    const d = zone?.dnssec;
    if (!d || d.keys.length === 0) return answer;
    const nowMs = this.now();
    const schedule = this.schedule(zone, d, Math.floor(nowMs / 1000));
    if (!dnssecOk) {
      const keys = schedule.keys.dnskey;
      if (qtype !== DnssecType.DNSKEY || foldCase(qname) !== zone.key) return answer;
      if (answer.answer.length || !answer.aa || answer.rcode !== Rcode.NOERROR) return answer;
      this.dropAt = Math.min(this.dropAt, schedule.until * 1000);
      const set = { ...keys, name: qname };
      return { ...answer, answer: [set], authority: [], additional: [] };
    }
    if (!schedule.keys.signers.length) return answer;
    const r = signAnswer(answer, qname, qtype, zone, schedule.keys, this.cache, nowMs, compactOk);
    this.dropAt = Math.min(this.dropAt, r.refreshAt * 1000, schedule.until * 1000);
    return r.answer;
  }

  private schedule(zone: SignedZone, d: ZoneDnssec, now: number): Schedule {
    let s = this.schedules.get(d);
    if (s && now < s.until && now >= s.from) return s;
    s = keysAt(zone, d, now);
    this.schedules.set(d, s);
    return s;
  }
}

/**
 * The zone's keys at `now` (RFC 6781 4.1): published from Publish to Delete, signing from
 * Activate to Inactive, so the key files' timing metadata drive a rollover.
 */
export function keysAt(zone: SignedZone, d: ZoneDnssec, now: number): Schedule {
  const published = d.keys.filter((k) => isPublished(k.timing, now));
  const { dnskey, other } = signingKeys(d.keys.filter((k) => isSigning(k.timing, now)));
  let until = Infinity;
  for (const k of d.keys) until = Math.min(until, nextEvent(k.timing, now)?.at ?? Infinity);
  const ttl = d.config.dnskeyTtl ?? zone.soa.ttl;
  return {
    keys: {
      dnskey: {
        name: zone.soa.name,
        type: DnssecType.DNSKEY,
        ttl,
        rdata: published.map((k) => ({ kind: 'opaque', bytes: rdataWire(keyRData(k)) })),
      },
      dnskeySigners: dnskey,
      signers: other,
    },
    from: now,
    until,
  };
}

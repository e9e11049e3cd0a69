// Signatures made once per distinct RRset and key, kept while they have enough validity left.
// Steered names have a finite set of answer variants (site x address subset x TTL), so on-line
// signing costs one signature per variant per refresh period, not one per query.
import type { DnssecKey } from './keys.js';
import { foldCase } from '../wire/name.js';
import { type AnyRData, rdataWire, type SignableRRset } from './records.js';
import {
  DEFAULT_SIGNATURE_PARAMS,
  type RrsigRData,
  type SignatureParams,
  signRRset,
} from './sign.js';

export interface SignatureCacheOptions {
  /** Most entries kept; the least recently used goes first. */
  maxEntries?: number;
  /**
   * Re-sign once less than this fraction of the validity is left. A resolver may keep a
   * signature for the RRset's TTL after fetching it, so what is left must outlast any TTL.
   */
  refreshFraction?: number;
  params?: SignatureParams;
  /** Milliseconds since the epoch (injected so tests set the time). */
  now?: () => number;
}

/** 0.25 of 14 days leaves 3.5 days, far beyond any TTL a zone would serve. */
export const DEFAULT_REFRESH_FRACTION = 0.25;
export const DEFAULT_MAX_ENTRIES = 50_000;

export interface CachedSignature {
  readonly sig: RrsigRData;
  /** Absolute seconds: RRSIG fields are modulo 2^32, these are not. */
  readonly inception: number;
  readonly expiration: number;
}

export interface SignatureCacheStats {
  hits: number;
  misses: number;
  refreshes: number;
  evictions: number;
}

export class SignatureCache {
  readonly maxEntries: number;
  readonly refreshFraction: number;
  readonly params: SignatureParams;
  private readonly now: () => number;
  private readonly entries = new Map<string, CachedSignature>();
  private readonly keyIds = new WeakMap<DnssecKey, string>();
  private nextKeyId = 0;
  readonly stats: SignatureCacheStats = { hits: 0, misses: 0, refreshes: 0, evictions: 0 };

  constructor(opts: SignatureCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.refreshFraction = opts.refreshFraction ?? DEFAULT_REFRESH_FRACTION;
    this.params = opts.params ?? DEFAULT_SIGNATURE_PARAMS;
    this.now = opts.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    if (!(this.refreshFraction > 0 && this.refreshFraction < 1))
      throw new RangeError(`refreshFraction must be between 0 and 1, got ${this.refreshFraction}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A short id per key object: keys are loaded once and shared, so identity is enough. */
  private keyId(key: DnssecKey): string {
    let id = this.keyIds.get(key);
    if (id === undefined) {
      id = `${key.tag}#${this.nextKeyId++}`;
      this.keyIds.set(key, id);
    }
    return id;
  }

  /**
   * The cache key: owner (case-folded, so letter case does not split entries), type, TTL (the
   * RRSIG's Original TTL), the RDATA set sorted (so the same addresses in another order share
   * one signature, as they share one canonical form, RFC 4034 6.3), and the key. Built from
   * strings, without the canonical wire form, because a hit is the common case; two spellings
   * of one name (\065 and a) only cost a second signature.
   */
  private entryKey(set: SignableRRset, key: DnssecKey): string {
    const rdatas = set.rdata.map(rdataKey).sort();
    return [foldCase(set.name), set.type, set.ttl, this.keyId(key), ...rdatas].join('\u0001');
  }

  /** The RRSIG of `set` by `key`, from the cache while it is fresh enough, else newly made. */
  sign(set: SignableRRset, key: DnssecKey): RrsigRData {
    return this.signAt(
      set,
      key,
      this.now(),
      this.params,
      this.refreshFraction * this.params.validity,
    ).sig;
  }

  /**
   * As sign, at `nowMs` with a zone's own parameters; `refresh` is the seconds of validity left
   * below which the signature is made again. Returns the entry, whose absolute expiration tells
   * the caller how long a reply holding the signature may be kept (the handler's memo).
   */
  signAt(
    set: SignableRRset,
    key: DnssecKey,
    nowMs: number,
    params: SignatureParams,
    refresh: number,
  ): CachedSignature {
    const now = Math.floor(nowMs / 1000);
    const k = this.entryKey(set, key);
    const hit = this.entries.get(k);
    if (hit) {
      this.entries.delete(k);
      // RFC 4034 3.1.5: a signature is valid from inception to expiration; a clock that went
      // back before the inception (another instance's, or ours) gets a new one.
      if (now >= hit.inception && hit.expiration - now >= refresh) {
        this.stats.hits++;
        this.entries.set(k, hit);
        return hit;
      }
      this.stats.refreshes++;
    } else this.stats.misses++;
    const sig = signRRset(set, key, nowMs, params);
    const entry: CachedSignature = {
      sig,
      inception: now - params.inceptionBackdate,
      expiration: now + params.validity,
    };
    this.entries.set(k, entry);
    if (this.entries.size > this.maxEntries) {
      // Map iteration is insertion order, and hits re-insert: the first key is the least recent.
      this.entries.delete(this.entries.keys().next().value!);
      this.stats.evictions++;
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}

function rdataKey(rd: AnyRData): string {
  switch (rd.kind) {
    case 'a':
    case 'aaaa': {
      let s = '';
      for (const b of rd.bytes) s += String.fromCharCode(b);
      return s;
    }
    case 'name':
      return foldCase(rd.name);
    default:
      return rdataWire(rd).toString('latin1');
  }
}

// The apex of a zone file: its nameservers (the apex NS RRset and the glue written beside it) and
// its SOA fields (the serial comes later, from the content: serial.ts).
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  type Entry,
  isScalar,
  listOf,
  mapEntries,
  scalarInt,
  scalarString,
} from '../base/yaml-source.js';
import { Type } from '../wire/constants.js';
import { foldCase, isSubdomain } from '../wire/name.js';
import { checkName, resolveName } from '../wire/names.js';
import type { RData } from '../wire/rr.js';
import type { Ref, ZoneDrafts } from './draft.js';
import { nameserverAddresses } from './glue.js';
import { MAX_NEGATIVE_TTL, MAX_TTL, SOA_DEFAULTS, SOA_KEYS } from './zone-keys.js';

/** The apex NS RRset's names and TTL, and where each name is written. */
export interface ApexNameservers {
  readonly names: RData[];
  readonly values: Ref[];
  readonly ttl: number;
}

/** `nameservers:`: apex NS with their glue (added to the drafts). */
export function compileNameservers(z: ZoneDrafts, nsEntry: Entry | undefined): ApexNameservers {
  const { src, origin, originKey, defaultTtl } = z;
  const nsNames: RData[] = [];
  const nsValues: Ref[] = [];
  let nsTtl = defaultTtl;
  if (!nsEntry)
    src.report(
      src.root,
      '',
      C.missingKey,
      'missing required key "nameservers" (the zone\'s NS records, with addresses for in-zone names)',
    );
  else {
    const all = mapEntries(src, nsEntry.value, 'nameservers');
    // `ttl:` beside the names, as under records:, is the TTL of the apex NS RRset and of the glue
    // written here: one value, since every RR of an RRset shares one TTL (RFC 2181 5.2).
    const ttlE = all?.find((e) => e.key === 'ttl');
    if (ttlE && isScalar(ttlE.value) && typeof ttlE.value.value === 'number')
      nsTtl = scalarInt(src, ttlE.value, ttlE.path, 0, MAX_TTL, C.badTtl) ?? defaultTtl;
    else if (ttlE)
      src.report(
        ttlE.value,
        ttlE.path,
        C.badTtl,
        `the TTL of the NS records and their glue must be an integer 0-${MAX_TTL}, got ${describe(ttlE.value)}; a nameserver named ttl is written in full: ttl.${origin}`,
      );
    const nsEntries = all?.filter((e) => e !== ttlE);
    if (nsEntries && nsEntries.length === 0)
      src.report(nsEntry.value, 'nameservers', C.missingKey, 'at least one nameserver is required');
    for (const e of nsEntries ?? []) {
      const r = resolveName(e.key, origin);
      if (!r.ok) {
        src.report(e.keyNode, e.path, C.badName, r.message);
        continue;
      }
      if (!z.claim(r.name, e.keyNode, e.path, 'nameservers')) continue;
      nsNames.push({ kind: 'name', name: r.name });
      nsValues.push({ node: e.keyNode, path: e.path });
      const inZone = isSubdomain(foldCase(r.name), originKey);
      const mark = src.problems.length;
      const addrs = isScalar(e.value) && e.value.value === null ? [] : listOf(src, e.value, e.path);
      if (addrs.length === 0 && src.problems.length > mark) continue; // not a list: reported, no glue check
      if (!inZone && addrs.length) {
        src.report(
          e.value,
          e.path,
          C.outOfZone,
          `${r.name} is outside zone ${origin}: its addresses are not served here; list it with no addresses`,
        );
        continue;
      }
      if (inZone && addrs.length === 0) {
        src.report(
          e.keyNode,
          e.path,
          C.missingGlue,
          `${r.name} is inside zone ${origin}, so it needs its addresses (glue), e.g. ${e.key}: [192.0.2.53]`,
        );
        continue;
      }
      const { v4, v6, bad } = nameserverAddresses(src, addrs);
      if (!inZone) continue;
      const d = z.draftFor(r.name);
      if (bad) d.tainted = true;
      if (v4.length) z.addSet(d, Type.A, nsTtl, v4, e.value, e.path, []);
      if (v6.length) z.addSet(d, Type.AAAA, nsTtl, v6, e.value, e.path, []);
    }
  }

  return { names: nsNames, values: nsValues, ttl: nsTtl };
}

/** The SOA's fields but the serial, and the serial when the file gives one. */
export interface SoaFields {
  readonly mname: string;
  readonly rname: string;
  readonly ttl: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
  readonly explicitSerial: number | null;
}

/** `soa:`, every key optional; the primary defaults to the first nameserver. */
export function compileSoa(
  z: ZoneDrafts,
  soaEntry: Entry | undefined,
  nsNames: readonly RData[],
): SoaFields {
  const { src, origin, defaultTtl } = z;
  const soaMap = soaEntry ? mapEntries(src, soaEntry.value, 'soa') : [];
  if (soaMap) checkKeys(src, soaMap, SOA_KEYS, 'soa');
  const soaGet = (k: string) => soaMap?.find((e) => e.key === k);
  const soaInt = (k: string, dflt: number, max = MAX_TTL) => {
    const e = soaGet(k);
    return e
      ? (scalarInt(src, e.value, e.path, 0, max, k.endsWith('ttl') ? C.badTtl : C.badValue) ?? dflt)
      : dflt;
  };
  let mname = nsNames[0]?.kind === 'name' ? nsNames[0].name : origin;
  const primary = soaGet('primary');
  if (primary) {
    const t = scalarString(src, primary.value, primary.path);
    const r = t === null ? null : resolveName(t, origin);
    if (r && !r.ok) src.report(primary.value, primary.path, C.badName, r.message);
    else if (r) mname = r.name;
  }
  let rname = `hostmaster.${origin}`;
  const contact = soaGet('contact');
  if (contact) {
    const t = scalarString(src, contact.value, contact.path);
    if (t !== null) {
      const r = contactToRname(t, origin);
      if (!r.ok) src.report(contact.value, contact.path, C.badName, r.message);
      else rname = r.name;
    }
  }
  const soaTtl = soaInt('ttl', defaultTtl);
  const refresh = soaInt('refresh', SOA_DEFAULTS.refresh);
  const retry = soaInt('retry', SOA_DEFAULTS.retry);
  const expire = soaInt('expire', SOA_DEFAULTS.expire);
  const minimum = soaInt('negative_ttl', SOA_DEFAULTS.negative_ttl, MAX_NEGATIVE_TTL);
  const serialEntry = soaGet('serial');
  // RFC 1982: serials are unsigned 32-bit numbers.
  const explicitSerial = serialEntry
    ? scalarInt(src, serialEntry.value, serialEntry.path, 0, 4294967295)
    : null;

  return { mname, rname, ttl: soaTtl, refresh, retry, expire, minimum, explicitSerial };
}

/** "hostmaster@example.com" or "hostmaster.example.com." → RNAME (RFC 1035 8: first label is the mailbox). */
export function contactToRname(
  text: string,
  origin: string,
): { ok: true; name: string } | { ok: false; message: string } {
  const at = text.indexOf('@');
  if (at < 0) return resolveName(text, origin);
  const local = text.slice(0, at).replace(/\\/g, '\\\\').replace(/\./g, '\\.');
  if (!/^[A-Za-z0-9._+\\-]+$/.test(local))
    return { ok: false, message: `not a usable mailbox: "${text}"` };
  const domain = text.slice(at + 1).replace(/\.$/, '');
  const bad = checkName(domain, false);
  if (bad && !bad.ok) return bad;
  return { ok: true, name: `${local}.${domain}` };
}

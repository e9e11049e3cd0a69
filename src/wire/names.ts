// Names as zone and config files write them (RFC 1035 5.1): resolved against an origin and checked
// for the characters a host name may hold. Text in, text out: the codec is name.ts.
import { foldCase, isSubdomain, MAX_LABEL_OCTETS, MAX_NAME_OCTETS, splitLabels } from './name.js';

export type NameResult = { ok: true; name: string } | { ok: false; message: string };

// Zone files take host-name characters plus '_' (SRV, DKIM owners) and a leading '*' label
// (RFC 4592). Anything else is almost always a typo, so it is rejected rather than escaped.
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/**
 * Resolve a name written in a zone file against the zone origin.
 * - ends with '.': absolute;
 * - '@': the origin;
 * - already ends with the origin (e.g. ns1.gslb.example.com in zone gslb.example.com): taken as
 *   absolute, because appending the origin again is never what an operator means;
 * - otherwise relative to the origin (RFC 1035 5.1).
 */
export function resolveName(
  text: string,
  origin: string,
  opts: { wildcard?: boolean } = {},
): NameResult {
  const t = text.trim();
  if (t === '') return { ok: false, message: 'empty name' };
  let abs: string;
  if (t === '@') abs = origin;
  else if (t.endsWith('.')) abs = t === '.' ? '' : t.slice(0, -1);
  else if (origin !== '' && isSubdomain(foldCase(t), foldCase(origin))) abs = t;
  else abs = origin === '' ? t : `${t}.${origin}`;
  const check = checkName(abs, opts.wildcard ?? false);
  return check ?? { ok: true, name: abs };
}

export function checkName(name: string, wildcard: boolean): NameResult | null {
  if (name === '') return null;
  const labels = splitLabels(name);
  let octets = 1;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l.length === 0) return { ok: false, message: `empty label in "${name}"` };
    if (l.length > MAX_LABEL_OCTETS)
      return {
        ok: false,
        message: `label "${l.slice(0, 20)}..." is ${l.length} octets, over the limit of 63 (RFC 1035 2.3.4)`,
      };
    octets += l.length + 1;
    if (l === '*') {
      if (!wildcard || i !== 0)
        return {
          ok: false,
          message: `"*" is only allowed as the leftmost label of an owner name (RFC 4592), in "${name}"`,
        };
      continue;
    }
    if (!LABEL.test(l))
      return {
        ok: false,
        message: `label "${l}" has characters other than letters, digits, '-' and '_' in "${name}"`,
      };
  }
  if (octets > MAX_NAME_OCTETS)
    return {
      ok: false,
      message: `name is ${octets} octets, over the limit of 255 (RFC 1035 2.3.4)`,
    };
  return null;
}

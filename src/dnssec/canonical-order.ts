// RFC 4034 6.1: canonical DNS name order, the order of an NSEC chain.
import { nameToLabels } from '../wire/name.js';

function lower(label: Uint8Array): Uint8Array {
  return label.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b));
}

/**
 * Names compare label by label from the rightmost (most significant) one; labels compare as
 * lowercased unsigned octet strings, and a label that is a prefix of another sorts first, as does
 * a name that runs out of labels first ("example" < "a.example" < "z.a.example" < "b.example").
 */
export function compareCanonicalNames(a: string, b: string): number {
  const la = nameToLabels(a).map(lower);
  const lb = nameToLabels(b).map(lower);
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(la[la.length - i]!, lb[lb.length - i]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

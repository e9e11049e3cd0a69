// Domain names in presentation form (RFC 1035 5.1): absolute, no trailing dot, '' for the root.
// Octets outside printable ASCII, '.', and '\' inside a label are written as \DDD or \c, so any
// name a client sends has exactly one string form and lookups can use plain string keys.

export const MAX_NAME_OCTETS = 255; // RFC 1035 2.3.4, wire form including length octets
export const MAX_LABEL_OCTETS = 63;

/** RFC 4343: DNS compares names case-insensitively, but only for ASCII letters. */
export function foldCase(name: string): string {
  return name.toLowerCase();
}

/** Split a presentation name into its labels, still in presentation form (escapes kept). */
export function splitLabels(name: string): string[] {
  if (name === '') return [];
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c /* \ */) i += /^[0-9]{3}/.test(name.slice(i + 1, i + 4)) ? 3 : 1;
    else if (c === 0x2e /* . */) {
      labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  labels.push(name.slice(start));
  return labels;
}

/** Raw octets of one presentation label, honouring \c and \DDD escapes. */
export function labelOctets(label: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c === 0x5c) {
      const d = label.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        out.push(Number(d) & 0xff);
        i += 3;
      } else {
        out.push(label.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else out.push(c & 0xff);
  }
  return Uint8Array.from(out);
}

export function nameToLabels(name: string): Uint8Array[] {
  return splitLabels(name).map(labelOctets);
}

function escapeLabel(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x2e || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out;
}

export interface WireName {
  /** Presentation form, with the letter case the sender used. */
  name: string;
  /** Offset just past the name in the message. */
  end: number;
}

/**
 * Read an uncompressed or compressed name (RFC 1035 4.1.4) from a message.
 * Returns null for anything malformed: pointer loops, forward pointers, over-long names,
 * reserved label types, or running off the end of the buffer.
 */
export function readName(msg: Uint8Array, offset: number, allowPointers = true): WireName | null {
  const parts: string[] = [];
  let pos = offset;
  let end = -1;
  let octets = 1;
  let jumps = 0;
  for (;;) {
    if (pos >= msg.length) return null;
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (!allowPointers || pos + 1 >= msg.length) return null;
      const ptr = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (end < 0) end = pos + 2;
      // Pointers must point backwards; this also bounds the walk (no loops).
      if (ptr >= pos || ++jumps > 127) return null;
      pos = ptr;
      continue;
    }
    if ((len & 0xc0) !== 0) return null; // RFC 6891 5: extended label types are obsolete
    if (pos + 1 + len > msg.length) return null;
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) return null;
    parts.push(escapeLabel(msg, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: parts.join('.'), end };
}

/** Is `name` equal to or below `zone`? Both case-folded presentation names. */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '') return true;
  return (
    name === zone ||
    (name.length > zone.length &&
      name.endsWith(zone) &&
      name[name.length - zone.length - 1] === '.')
  );
}

/** Parent of a name ('' for a single-label name, null for the root). */
export function parentName(name: string): string | null {
  if (name === '') return null;
  const labels = splitLabels(name);
  return labels.slice(1).join('.');
}

/** Wire length of a presentation name (sum of label lengths + length octets + root). */
export function wireLength(name: string): number {
  let n = 1;
  for (const l of nameToLabels(name)) n += l.length + 1;
  return n;
}

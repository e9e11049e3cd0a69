import { foldCase, labelOctets, splitLabels } from './name.js';

/**
 * Growable message buffer with RFC 1035 4.1.4 name compression. Suffixes are remembered by their
 * case-folded form, so an owner equal to the question name becomes a pointer to the question and
 * carries the client's letter case, as the 0x20 technique expects.
 */
export class Writer {
  buf: Buffer;
  pos = 0;
  private readonly suffixes = new Map<string, number>();

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Copy raw bytes (a name already in wire form) and register its suffixes for compression. */
  rawName(msg: Uint8Array, start: number, end: number, presentation: string): void {
    const at = this.pos;
    this.bytes(msg.subarray(start, end));
    this.remember(presentation, at);
  }

  private remember(name: string, at: number): void {
    const labels = splitLabels(name);
    let off = at;
    for (let i = 0; i < labels.length; i++) {
      const key = suffixKey(labels, i);
      if (off < 0x4000 && !this.suffixes.has(key)) this.suffixes.set(key, off);
      off += labelOctets(labels[i]!).length + 1;
    }
  }

  /** Write a name; `compress` false for names in RDATA of types RFC 3597 4 says not to compress. */
  name(name: string, compress = true): void {
    const labels = splitLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = suffixKey(labels, i);
      if (compress) {
        const ptr = this.suffixes.get(key);
        if (ptr !== undefined) {
          this.u16(0xc000 | ptr);
          return;
        }
      }
      if (this.pos < 0x4000 && !this.suffixes.has(key)) this.suffixes.set(key, this.pos);
      const l = labelOctets(labels[i]!);
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }

  /** Reserve a 16-bit length field; returns a function that fills it with the bytes written since. */
  lengthPrefix(): () => void {
    const at = this.pos;
    this.u16(0);
    return () => this.buf.writeUInt16BE(this.pos - at - 2, at);
  }

  /** Snapshot for rollback when a section does not fit. */
  mark(): { pos: number; keys: number } {
    return { pos: this.pos, keys: this.suffixes.size };
  }

  rollback(m: { pos: number; keys: number }): void {
    this.pos = m.pos;
    // Forget suffixes registered past the mark: they would point into discarded bytes.
    if (this.suffixes.size !== m.keys) {
      for (const [k, off] of this.suffixes) if (off >= m.pos) this.suffixes.delete(k);
    }
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

// Presentation labels are canonical (escaped), so folding the joined text folds only ASCII letters.
function suffixKey(labels: string[], from: number): string {
  return foldCase(labels.slice(from).join('.'));
}

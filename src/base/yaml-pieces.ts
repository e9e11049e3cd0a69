// Reading one top-level block mapping of a large YAML file (a zone's `records:`) a few thousand
// entries at a time, so that only one piece's syntax tree is alive at once. yaml's parser holds
// the whole document's concrete syntax tree and composed tree together, about 150 octets of heap
// per octet of file, and V8 keeps the pages it grew to: read whole, a 3 MB zone file of 100,000
// records peaked at 899 MiB of RSS in `geosteer check`. The split is taken only where it plainly
// cannot change what the file means; whenever it might (anything but plain block YAML, a piece
// that does not parse, a piece whose entries are not the lines it was cut at) the caller reads the
// file whole, so every problem is reported exactly as before.
import { isMap, isPair, isScalar, isSeq, LineCounter, type YAMLMap } from 'yaml';
import { parsePlain } from './yaml-parse.js';

export interface Piece {
  /** Offsets in the text of its first and past its last octet: whole lines. */
  readonly from: number;
  readonly to: number;
  /** Where each of its entries' keys starts, as offsets in the text. */
  readonly keys: readonly number[];
}

export interface BlockSplit {
  /** Offset of the block's key (column 1 of its line). */
  readonly keyAt: number;
  /** The block's body: its entries' lines, and the comments and blank lines among them. */
  readonly body: { readonly from: number; readonly to: number };
  readonly pieces: readonly Piece[];
}

/** Characters that start something other than a plain key at an entry's indentation. */
const NOT_A_KEY = new Set([...'-?:[]{},&*!|>%@`\t']);

/**
 * Cut the top-level block mapping under `key` (written `key:` alone on a line at column 1) into
 * pieces of `perPiece` entries. Its entries start at the indentation of its first line; it ends at
 * the next line that starts at column 1 (comments aside). Null when the text is not plainly so:
 * no such line or two of them, an empty block, a block at column 1, tabs or anything but a plain
 * key at the entries' indentation, a line indented less than the entries. One pass over the
 * text, looking only at each line's start.
 */
export function splitBlock(text: string, key: string, perPiece: number): BlockSplit | null {
  if (perPiece < 1) return null;
  const keyLine = new RegExp(`^${key}:(?:[ \\t]*|[ \\t]+#.*)\\r?$`);
  let keyAt = -1;
  let bodyFrom = -1;
  let bodyTo = -1;
  let indent = -1;
  const keys: number[] = [];
  for (let at = 0; at < text.length;) {
    const nl = text.indexOf('\n', at);
    const next = nl < 0 ? text.length : nl + 1;
    if (bodyFrom >= 0 && bodyTo < 0) {
      let lead = at;
      while (text.charCodeAt(lead) === 32) lead++;
      const c = text[lead];
      const blank = c === undefined || c === '\n' || c === '#' || (c === '\r' && lead + 1 === nl);
      if (!blank && c === '\t') return null;
      if (!blank && lead === at) bodyTo = at;
      else if (!blank) {
        if (indent < 0) indent = lead - at;
        if (lead - at < indent) return null;
        if (lead - at === indent) {
          if (NOT_A_KEY.has(c!)) return null;
          keys.push(lead);
        }
      }
    }
    if (
      (bodyFrom < 0 || bodyTo >= 0) &&
      text.startsWith(key, at) &&
      keyLine.test(text.slice(at, nl < 0 ? text.length : nl))
    ) {
      if (keyAt >= 0) return null;
      keyAt = at;
      bodyFrom = next;
    }
    at = next;
  }
  if (keyAt < 0 || keys.length === 0) return null;
  if (bodyTo < 0) bodyTo = text.length;
  const pieces: Piece[] = [];
  for (let i = 0; i < keys.length; i += perPiece) {
    const mine = keys.slice(i, i + perPiece);
    const from = mine[0]! - indent;
    const after = keys[i + perPiece];
    pieces.push({ from, to: after === undefined ? bodyTo : after - indent, keys: mine });
  }
  return { keyAt, body: { from: bodyFrom, to: bodyTo }, pieces };
}

/**
 * Parse one piece as a block mapping of its own, nested at most `maxNesting` deep, with every
 * node's range moved to the piece's place in the text (columns are unchanged, as a piece is
 * whole lines). Null when it does not parse as plain YAML, or its entries are not the ones it was
 * cut at: the caller then reads the text whole.
 */
export function parsePiece(text: string, piece: Piece, maxNesting: number): YAMLMap | null {
  const doc = parsePlain(text.slice(piece.from, piece.to), new LineCounter(), maxNesting);
  const root = doc?.contents;
  if (!isMap(root) || root.flow || root.items.length !== piece.keys.length) return null;
  for (let i = 0; i < root.items.length; i++) {
    const k = root.items[i]!.key;
    if (!isScalar(k) || k.range?.[0] !== piece.keys[i]! - piece.from) return null;
  }
  shift(root, piece.from);
  return root as YAMLMap;
}

/** Move a node's range, and its children's, by `by` octets. Depth is bounded by the parse. */
function shift(node: unknown, by: number): void {
  if (isPair(node)) {
    shift(node.key, by);
    shift(node.value, by);
    return;
  }
  const r = (node as { range?: [number, number, number] | null } | null)?.range;
  if (r) {
    r[0] += by;
    r[1] += by;
    r[2] += by;
  }
  if (isMap(node) || isSeq(node)) for (const item of node.items) shift(item, by);
}

/**
 * Move the nodes that start at or after `at` by `by` octets, and the ends of those that span it:
 * a text read with a part cut out (the head of a split) gets the whole text's offsets back.
 */
export function shiftFrom(node: unknown, at: number, by: number): void {
  if (isPair(node)) {
    shiftFrom(node.key, at, by);
    shiftFrom(node.value, at, by);
    return;
  }
  const r = (node as { range?: [number, number, number] | null } | null)?.range;
  if (r && r[0] >= at) return shift(node, by);
  if (r && r[1] >= at) r[1] += by;
  if (r && r[2] >= at) r[2] += by;
  if (isMap(node) || isSeq(node)) for (const item of node.items) shiftFrom(item, at, by);
}

// A zone file compiled with `records:` read in pieces (base/yaml-pieces.ts), so that only one
// piece's YAML tree is alive at a time and peak memory is the compiled zone plus one piece: read
// whole, the YAML parser's trees of a 100,000-record file (3 MB) took 500 MiB of heap that V8 then
// kept. Everything observable is as when the file is read whole (compile-text.ts): the same
// problems at the same places in the same order, the limits counted in the file's order and
// reported before a piece past them is compiled, the same zone. Null whenever the file cannot
// plainly be read so; the caller then reads it whole.
import { isMap, isScalar, type YAMLMap } from 'yaml';
import { HeapBound } from '../base/heap.js';
import { MAX_NESTING } from '../base/yaml-parse.js';
import { type BlockSplit, parsePiece, splitBlock } from '../base/yaml-pieces.js';
import { Source } from '../base/yaml-source.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import { compileZone } from './compile.js';
import { topEntries, ZONE_LIMITS, ZoneCounter, type ZoneLimits } from './limits.js';
import type { Zone } from './zone.js';

/**
 * Names of `records:` per piece. Measured on a 100,000-record zone, `geosteer check` peaks at
 * about the same RSS from 500 to 5,000 names a piece; far smaller pieces cost time per piece.
 */
export const RECORDS_PER_PIECE = 2000;

/** Heap growth between collections while reading pieces (base/heap.ts). */
const HEAP_STEP = 32 * 1024 * 1024;

/** Thrown out of the pieces when one does not read as plain YAML: the file is read whole. */
const NOT_PLAIN = new Error('not plain');

/** Compile `text` with `records:` in pieces of `perPiece` names; null: read it whole instead. */
export function compileInPieces(
  file: string,
  text: string,
  limits: ZoneLimits = ZONE_LIMITS,
  dnssecDefaults: DnssecDefaults | null = null,
  perPiece: number = RECORDS_PER_PIECE,
): { src: Source; zone: Zone | null } | null {
  const split = splitBlock(text, 'records', perPiece);
  if (!split) return null;
  const src = new Source(file, text, split.body);
  if (!src.plain || !isMap(src.root)) return null;
  const top = topEntries(src);
  const at = top.findIndex((e) => e.key === 'records');
  const records = top[at];
  // The split's block must be the file's records:, which the head reads as empty.
  if (
    !records ||
    records.keyNode.range?.[0] !== split.keyAt ||
    !(records.value === null || (isScalar(records.value) && records.value.value === null))
  )
    return null;
  // As checkCounts: each section counted in the file's order, before it is compiled.
  const count = new ZoneCounter(src, limits);
  const counted = { ok: top.slice(0, at).every((e) => count.section(e)) };
  const pieces = readPieces(src, text, split, count, counted);
  let zone: Zone | null;
  try {
    zone = counted.ok ? compileZone(src, dnssecDefaults, pieces) : null;
    // compileZone stops before records: on a broken apex; the rest is still read for its
    // duplicate keys and counted.
    drain(pieces);
  } catch (e) {
    if (e === NOT_PLAIN) return null;
    throw e;
  }
  if (counted.ok) counted.ok = top.slice(at + 1).every((e) => count.section(e));
  if (!counted.ok) {
    // Past a limit nothing is compiled: what was is forgotten, as if the count had come first.
    src.keepReadingProblems(count.passed ? [count.passed] : []);
    return { src, zone: null };
  }
  return { src, zone };
}

/**
 * The pieces, each read, checked for duplicate keys, and counted; those under the limits are
 * handed on, the rest only read.
 */
function* readPieces(
  src: Source,
  text: string,
  split: BlockSplit,
  count: ZoneCounter,
  counted: { ok: boolean },
): Generator<YAMLMap> {
  const heap = new HeapBound(HEAP_STEP);
  for (const piece of split.pieces) {
    // The piece is records:' mapping, one level down from the file's root.
    const map = parsePiece(text, piece, MAX_NESTING - 1);
    if (!map) throw NOT_PLAIN;
    heap.check();
    src.readPiece(map, 'records');
    if (!counted.ok || !(counted.ok = count.recordNames(map, 'records'))) continue;
    yield map;
  }
  // The compile's last steps (structure checks, serial, freezing) allocate while all the drafts
  // are held: start them without the last pieces' garbage.
  src.endPieces();
  heap.settle();
}

function drain(pieces: Iterator<unknown>): void {
  for (let r = pieces.next(); !r.done; r = pieces.next()) continue;
}

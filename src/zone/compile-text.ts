// One zone file's text into a compiled zone, with its problems in reading order: the step the
// server runs off its answering threads (compile-thread.ts) and `geosteer check` runs in place.
import { isMap, type YAMLMap } from 'yaml';
import { type Problem, sortProblems } from '../base/errors.js';
import { type Node, Source } from '../base/yaml-source.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import { compileZone } from './compile.js';
import { compileInPieces, RECORDS_PER_PIECE } from './compile-pieces.js';
import { checkCounts, ZONE_LIMITS, type ZoneLimits } from './limits.js';
import type { Zone } from './zone.js';

export interface CompileResult {
  zone: Zone | null;
  problems: Problem[];
  /** Where the zone's name is written (the value of `zone:`), for problems about the whole zone. */
  origin: { line: number; col: number };
}

/**
 * Compile one zone file's text; problems come in reading order. `records:` is read in pieces of
 * `perPiece` names where it plainly can be (compile-pieces.ts), else with the rest (0: always).
 */
export function compileText(
  file: string,
  text: string,
  limits: ZoneLimits = ZONE_LIMITS,
  dnssecDefaults: DnssecDefaults | null = null,
  perPiece: number = RECORDS_PER_PIECE,
): CompileResult {
  const pieced = compileInPieces(file, text, limits, dnssecDefaults, perPiece);
  const src = pieced?.src ?? new Source(file, text);
  const zone = pieced
    ? pieced.zone
    : checkCounts(src, limits)
      ? compileZone(src, dnssecDefaults)
      : null;
  const zoneValue = isMap(src.root)
    ? ((src.root as YAMLMap).get('zone', true) as Node | undefined)
    : undefined;
  return { zone, problems: sortProblems(src.problems), origin: src.at(zoneValue) };
}

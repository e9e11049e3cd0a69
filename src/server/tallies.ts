// Answered queries counted by kind, for the metrics (src/admin/metrics.ts reads them at scrape
// time). A memoised reply holds its tally, so counting a query costs one increment.
import { typeName } from '../wire/constants.js';

export type Transport = 'udp' | 'tcp';

/**
 * Answered queries of one kind, counted since start. One per (zone, qtype, rcode, policy, sites),
 * made when a reply is first encoded.
 */
export interface AnswerTally {
  /** The zone holding the name, or null (REFUSED: in no zone; FORMERR, NOTIMP). */
  readonly zone: string | null;
  /** The type asked; -1 for a type geosteer has no name for (counted together, so unbounded). */
  readonly qtype: number;
  /** With the extended bits (BADVERS is 16). */
  readonly rcode: number;
  readonly policy: string | null;
  readonly sites: readonly string[];
  udp: number;
  tcp: number;
}

export const NO_SITES: readonly string[] = Object.freeze([]);

/** Every AnswerTally, by what it counts; bounded by zones x named types x rcodes x choices. */
export class Tallies {
  private readonly byKind = new Map<string, AnswerTally>();

  values(): IterableIterator<AnswerTally> {
    return this.byKind.values();
  }

  /** The tally for answers of this kind, made on first use (slow path only: it builds a key). */
  of(
    zone: string | null,
    qtype: number,
    rcode: number,
    policy: string | null,
    sites: readonly string[],
  ): AnswerTally {
    // Types without a name are counted together: random qtypes must not grow the table.
    const t = qtype < 0 || typeName(qtype).startsWith('TYPE') ? -1 : qtype;
    const k = `${zone ?? ''}\u0000${t}\u0000${rcode}\u0000${policy ?? ''}\u0000${sites.join('\u0000')}`;
    let tally = this.byKind.get(k);
    if (!tally)
      this.byKind.set(
        k,
        (tally = { zone, qtype: t, rcode, policy, sites: [...sites], udp: 0, tcp: 0 }),
      );
    return tally;
  }
}

export function count(tally: AnswerTally, transport: Transport): void {
  if (transport === 'udp') tally.udp++;
  else tally.tcp++;
}

// Probe sharing (docs/fleet.md#probe-sharing): with `probes_per_target: K`, each address is probed
// by K of the live instances instead of all N, so a backend sees K probes per interval. The K are
// chosen by rendezvous (highest random weight) hashing of instance name and address: every
// instance computes the same choice from the same set of live instances, with no coordination,
// and when an instance comes or goes only the addresses it held move (Thaler and Ravishankar,
// 1998; the same hashing sticky steering uses).
import { createHash } from 'node:crypto';

export class ProbeAssignment {
  private readonly cache = new Map<string, readonly string[]>();

  /** `live`: the names of the live instances (this one included); `k`: probers per address. */
  constructor(
    readonly live: readonly string[],
    readonly k: number,
  ) {}

  /** The instances that probe `address` (a `zone/site/address` key), best score first. */
  probers(address: string): readonly string[] {
    let got = this.cache.get(address);
    if (!got) {
      got = this.live
        .map((name) => ({ name, score: score(name, address) }))
        .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1))
        .slice(0, this.k)
        .map((x) => x.name);
      this.cache.set(address, got);
    }
    return got;
  }

  probes(name: string, address: string): boolean {
    return this.probers(address).includes(name);
  }

  /** Same instances, same K: the same choice for every address. */
  sameAs(other: ProbeAssignment | null): boolean {
    return (
      other !== null &&
      other.k === this.k &&
      other.live.length === this.live.length &&
      other.live.every((n, i) => n === this.live[i])
    );
  }
}

function score(name: string, address: string): number {
  return createHash('sha256').update(`${name}\0${address}`).digest().readUIntBE(0, 6);
}

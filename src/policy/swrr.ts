/**
 * Smooth weighted round robin (nginx's algorithm): deterministic and evenly interleaved. With
 * weights 5,1,1 it yields a a b a c a a, never a a a a a b c. Only the members offered on a call
 * take part, so a withdrawn member simply stops being chosen and the rest keep their proportions.
 */
export class SmoothWeighted {
  private readonly current: Float64Array;

  constructor(private readonly weights: readonly number[]) {
    this.current = new Float64Array(weights.length);
  }

  /**
   * Choose one of `members` (indexes into the weights given at construction), or by `weights`
   * for this call: weights that change with health (weighted `group: site`) keep the same state,
   * so the rotation moves on smoothly when they change.
   */
  next(members: readonly number[], weights: ArrayLike<number> = this.weights): number {
    return step(weights, this.current, members);
  }

  /**
   * The order in which the rotation would reach the other `members` from here, up to `count` of
   * them, `first` excluded. Works on a copy of the state, so the rotation itself does not move:
   * the first place of each answer keeps the exact proportions, and the places after it follow
   * the rotation (with equal weights, a b / b c / c a rather than a b / b a / c a).
   */
  following(members: readonly number[], first: number, count: number): number[] {
    const current = Float64Array.from(this.current);
    const left = members.filter((m) => m !== first);
    const out: number[] = [];
    while (out.length < count && left.length > 0) {
      const m = step(this.weights, current, left);
      out.push(m);
      left.splice(left.indexOf(m), 1);
    }
    return out;
  }
}

function step(
  weights: ArrayLike<number>,
  current: Float64Array,
  members: readonly number[],
): number {
  let total = 0;
  let best = -1;
  for (const m of members) {
    const w = weights[m]!;
    current[m]! += w;
    total += w;
    if (best < 0 || current[m]! > current[best]!) best = m;
  }
  current[best]! -= total;
  return best;
}

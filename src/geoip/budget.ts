// A token bucket of uncached lookups per second, for ECS scope widening (src/policy/scope.ts).
// Widening a client network the server has not seen costs up to WIDEN_BUDGET (256) database
// lookups, 1-2 ms of CPU; a flood of made-up ECS subnets, each new, would otherwise hold a core
// at about a thousand queries a second. With the bucket empty, an answer carries the scope of the
// database network the client is in: correct (RFC 7871 7.2.1: every client inside it gets the same
// answer), only narrower, so resolvers cache it for fewer clients. The clock is injected
// (STYLE.md 5) so tests can drain and refill the bucket exactly.

export const DEFAULT_WIDEN_LOOKUPS_PER_SECOND = 50_000;

/** Most locator lookups one widening makes (each costs a few microseconds). */
export const WIDEN_BUDGET = 256;

export class LookupBudget {
  private tokens: number;
  private last: number;
  /** The most the bucket holds: one second's worth, and at least one whole widening. */
  readonly capacity: number;

  constructor(
    /** Lookups per second; 0: none, so scopes are never widened. */
    readonly perSecond: number,
    /** The whole widening a reservation covers (WIDEN_BUDGET). */
    largest: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.capacity = perSecond > 0 ? Math.max(perSecond, largest) : 0;
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Take `n` lookups if the bucket holds that many; false (and nothing taken) otherwise. */
  take(n: number): boolean {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Give back what a reservation did not use. */
  refund(n: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + n);
  }
}

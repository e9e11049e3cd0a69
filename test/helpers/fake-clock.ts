// A Clock (src/base/clock.ts) that moves only when the test says, so probe schedules, timeouts
// and rise/fall timing are asserted to the millisecond. Timers due at the same time run in the
// order they were set; between timers, pending promise callbacks are allowed to run.
import type { Clock } from '../../src/base/clock.js';

interface Timer {
  at: number;
  id: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  /**
   * `earlyMs`: run each timer when the clock reads that much before its due time, as real timers
   * do now and then (libuv's loop time lags Date.now(), and rounds to whole milliseconds).
   */
  constructor(
    start = 0,
    private readonly earlyMs = 0,
  ) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.length;
  }

  /** Move time forward by `ms`, running every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    // Bounded: a schedule that keeps adding due timers is a bug the test should see.
    for (let guard = 0; guard < 100_000; guard++) {
      await settle();
      let next: Timer | undefined;
      for (const x of this.timers)
        if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.id < next.id)))
          next = x;
      if (!next) {
        this.t = end;
        await settle();
        return;
      }
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at - this.earlyMs);
      next.fn();
    }
    throw new Error('FakeClock.advance: too many timers');
  }
}

/** Let every pending promise callback run (a macrotask turn drains the microtask queue). */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

// Time, injected so tests drive it exactly (STYLE.md 5): the prober and the TCP connection table
// take a Clock, the GeoIP file watcher only its Timers. The real clock's timers are unref'd:
// probing alone never keeps a process alive; the listeners do.

/** Timers alone, for code that waits but never reads the time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Clock extends Timers {
  /** Milliseconds: since the epoch for realClock; from a fixed origin for a monotonic one. */
  now(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

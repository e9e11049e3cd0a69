// Keeping a long compile's heap near what it holds. V8 collects the old generation when it has
// grown by a factor of its size after the last collection (up to 4x for a fast-allocating
// program), and keeps the pages it grew to: compiling a 100,000-record zone in pieces holds about
// 120 MB, but the heap grew to over 400 MB of garbage before V8 looked, and RSS with it. A full
// collection after each `step` octets of growth bounds the heap at what is held plus the step.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

/**
 * V8's collector as a function: the --expose-gc flag, set for a fresh context to pick up. Taken
 * only by a process that compiles a large zone (`geosteer check`, the compile process), which
 * also keeps V8's young generation from growing past its first size: measured, its growth to
 * 3 x 16 MiB was the difference between 340 and 300 MiB of RSS for a 100,000-record zone.
 */
function collector(): () => void {
  if (gc) return gc;
  setFlagsFromString('--semi-space-growth-factor=1');
  if (typeof globalThis.gc === 'function') return (gc = globalThis.gc as () => void);
  setFlagsFromString('--expose-gc');
  return (gc = runInNewContext('gc') as () => void);
}

/** Collect now when the heap has grown by `step` octets since the last collection here. */
export class HeapBound {
  private last = getHeapStatistics().used_heap_size;

  constructor(private readonly step: number) {}

  private collected = false;

  check(): void {
    if (getHeapStatistics().used_heap_size - this.last >= this.step) this.collect();
  }

  /**
   * At the end of a phase: collect once more if this was a large one (it collected before), so
   * the next phase starts from what is held, not from up to a step of garbage.
   */
  settle(): void {
    if (this.collected) this.collect();
  }

  private collect(): void {
    collector()();
    this.collected = true;
    this.last = getHeapStatistics().used_heap_size;
  }
}

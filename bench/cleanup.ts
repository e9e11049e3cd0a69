// Stopping what a bench run started, on success, error or Ctrl-C (bench/run.ts).
import { rm } from 'node:fs/promises';
import type { Proc } from './proc.js';

/**
 * Every process started so far, so that an error or Ctrl-C still stops each one by its PID.
 * After a signal nothing new may start: a process added then is stopped at once.
 */
export class Cleanup {
  private readonly procs = new Set<Proc>();
  private running: Promise<void> | null = null;
  interrupted = false;

  constructor(private readonly workDir: string) {}

  readonly track = (p: Proc, alive: boolean): void => {
    if (!alive) this.procs.delete(p);
    else if (this.running) {
      void p.stop();
      throw new Error('interrupted');
    } else this.procs.add(p);
  };

  /** Stop everything; every caller waits for the same single run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      await Promise.all([...this.procs].map((p) => p.stop()));
      await rm(this.workDir, { recursive: true, force: true });
    })();
    return this.running;
  }
}

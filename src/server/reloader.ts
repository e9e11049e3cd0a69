import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../base/log.js';
import { formatProblem, type Problem, ProblemCode } from '../base/errors.js';
import { type LoadResult, loadZoneDir } from '../zone/load.js';
import { ZoneSet } from '../zone/zone-set.js';

/** The longest a reload waits for the zone files to stop changing. */
export const MAX_WAIT_MS = 2000;

export type ReloadOutcome =
  | { ok: true; generation: number; added: string[]; removed: string[]; changed: string[] }
  | { ok: false; problems: Problem[] };

/**
 * Loads the zones directory and swaps the whole set in at once, or not at all. The swap is a
 * single assignment between two synchronous query callbacks, so a query in flight always sees
 * one complete generation and none is dropped.
 */
export class Reloader {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the first file event not yet reloaded came. */
  private pendingSince: number | null = null;
  private running: Promise<ReloadOutcome> | null = null;
  private queued: Promise<ReloadOutcome> | null = null;
  private readonly observers = new Set<(outcome: ReloadOutcome, reason: string) => void>();

  constructor(
    private readonly dir: string,
    private current: ZoneSet,
    /**
     * Serve `zones` from now. May be asynchronous (answer threads build and switch together,
     * src/threads/); a rejection rejects the reload and the old set keeps serving.
     */
    private readonly install: (zones: ZoneSet) => void | Promise<void>,
    private readonly log: Logger,
    /** Quiet period after a file event: editors write a file in several steps. */
    private readonly debounceMs = 200,
    /**
     * How the directory becomes zones: the server's (loadServedZones) adds a site's child zones
     * and checks the site (docs/delegation.md).
     */
    readonly loadZones: (dir: string) => Promise<LoadResult> = loadZoneDir,
    /**
     * How a reload loads: as loadZones, but may reuse the zones of files that did not change
     * (zone/load.ts CompileCache). Kept apart from loadZones: a zone holds its rotation state, and
     * explain must not turn the live zones' rotations.
     */
    private readonly reloadZones: (dir: string) => Promise<LoadResult> = loadZones,
  ) {}

  get zones(): ZoneSet {
    return this.current;
  }

  /**
   * Reload now. A request made while a reload runs may come from an edit that run did not see, so
   * it gets one more run after the current one; every request made meanwhile shares that run. The
   * outcome returned always reflects the files as they were at or after the request.
   */
  reload(reason: string): Promise<ReloadOutcome> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start(reason);
    const queued = this.running.then(() => {
      this.queued = null;
      return this.start(reason);
    });
    this.queued = queued;
    return queued;
  }

  /**
   * Call `fn` with the outcome of every reload run (once per run, however many requests share it:
   * the admin API's metrics count them); returns the function that stops it.
   */
  onOutcome(fn: (outcome: ReloadOutcome, reason: string) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  private start(reason: string): Promise<ReloadOutcome> {
    const run = this.run(reason)
      .then((outcome) => {
        for (const fn of this.observers) {
          try {
            fn(outcome, reason);
          } catch (err) {
            // An observer (a metric) must not turn a reload into a failed one.
            this.log.error({ err }, 'reload observer failed');
          }
        }
        return outcome;
      })
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
    return run;
  }

  /** Never rejects: a reload that fails for any reason leaves the last good set serving. */
  private async run(reason: string): Promise<ReloadOutcome> {
    try {
      return await this.load(reason);
    } catch (err) {
      const problem: Problem = {
        file: this.dir,
        line: 1,
        col: 1,
        path: '',
        code: ProblemCode.io,
        message: `reload failed: ${(err as Error).message}`,
      };
      this.log.error(
        { err, reason, generation: this.current.generation },
        `reload rejected: ${formatProblem(problem)}; still serving generation ${this.current.generation}`,
      );
      return { ok: false, problems: [problem] };
    }
  }

  private async load(reason: string): Promise<ReloadOutcome> {
    const { zones, problems } = await this.reloadZones(this.dir);
    if (problems.length) {
      for (const p of problems)
        this.log.error(
          { file: p.file, line: p.line, col: p.col, path: p.path, code: p.code },
          formatProblem(p),
        );
      this.log.error(
        { reason, problems: problems.length, generation: this.current.generation },
        `reload rejected: ${problems.length} problem(s); still serving generation ${this.current.generation}`,
      );
      return { ok: false, problems };
    }
    if (zones.length === 0 && this.current.zones.length > 0) {
      const names = this.current.zones.map((z) => z.origin);
      const problem: Problem = {
        file: this.dir,
        line: 1,
        col: 1,
        path: '',
        code: ProblemCode.noZones,
        message:
          `no zone files; still serving the ${names.length} zone(s) loaded (${names.join(', ')}): ` +
          'an emptied directory is taken for a mistake, so to stop serving every zone, stop geosteer',
      };
      this.log.error(
        { reason, generation: this.current.generation, code: problem.code },
        `reload rejected: ${formatProblem(problem)}; still serving generation ${this.current.generation}`,
      );
      return { ok: false, problems: [problem] };
    }
    const old = new Map(this.current.zones.map((z) => [z.key, z]));
    const added: string[] = [];
    const changed: string[] = [];
    for (const z of zones) {
      const prev = old.get(z.key);
      if (!prev) added.push(z.origin);
      else if (prev.fingerprint !== z.fingerprint) changed.push(z.origin);
      old.delete(z.key);
    }
    const removed = [...old.values()].map((z) => z.origin);
    if (!added.length && !changed.length && !removed.length) {
      // Logged at info like every other outcome: an operator who sends SIGHUP sees that it ran.
      this.log.info(
        { reason, generation: this.current.generation, added, removed, changed },
        `zones reloaded: no change; still serving generation ${this.current.generation}`,
      );
      return { ok: true, generation: this.current.generation, added, removed, changed };
    }
    const next = new ZoneSet(zones, this.current.generation + 1);
    await this.install(next);
    this.current = next;
    const what = [
      added.length ? `added ${added.join(', ')}` : '',
      removed.length ? `removed ${removed.join(', ')}` : '',
      changed.length ? `changed ${changed.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    this.log.info(
      { reason, generation: next.generation, added, removed, changed, zones: zones.length },
      `zones reloaded: ${what}; now serving generation ${next.generation}`,
    );
    return { ok: true, generation: next.generation, added, removed, changed };
  }

  /**
   * Watch the directory (not the files: editors replace files by rename) and reload on change:
   * `debounceMs` after the last event, but no later than MAX_WAIT_MS after the first one, so files
   * rewritten without pause (a sync loop, a generator) still reload.
   */
  watch(): void {
    this.watcher = watch(this.dir, { persistent: false }, (_event, file) => {
      if (file && !isZoneEvent(String(file))) return;
      const now = Date.now();
      this.pendingSince ??= now;
      if (this.timer) clearTimeout(this.timer);
      const wait = Math.min(this.debounceMs, this.pendingSince + MAX_WAIT_MS - now);
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pendingSince = null;
          void this.reload(`file ${file ?? '?'} changed`);
        },
        Math.max(0, wait),
      );
    });
    this.watcher.on('error', (err) =>
      this.log.error({ err, dir: this.dir }, 'zone directory watch failed'),
    );
  }

  close(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }
}

/**
 * Does a change to this directory entry concern the zones? Zone files, and the "..data" links
 * that Kubernetes' atomic writer swaps when a mounted ConfigMap changes (the *.yaml names there
 * are symlinks through ..data, so their own names never show up in an event).
 */
function isZoneEvent(name: string): boolean {
  return /\.ya?ml$/.test(name) || name.startsWith('..');
}

import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../log.js';
import { formatProblem, type Problem } from '../zone/errors.js';
import { loadZoneDir } from '../zone/load.js';
import { ZoneSet } from '../zone/zone-set.js';

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
  private running: Promise<ReloadOutcome> | null = null;
  private again = false;

  constructor(
    private readonly dir: string,
    private current: ZoneSet,
    private readonly install: (zones: ZoneSet) => void,
    private readonly log: Logger,
    /** Quiet period after a file event: editors write a file in several steps. */
    private readonly debounceMs = 200,
  ) {}

  get zones(): ZoneSet {
    return this.current;
  }

  /** Reload now; concurrent requests coalesce into one more run after the current one. */
  async reload(reason: string): Promise<ReloadOutcome> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run(reason);
    try {
      return await this.running;
    } finally {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.reload(reason);
      }
    }
  }

  private async run(reason: string): Promise<ReloadOutcome> {
    const { zones, problems } = await loadZoneDir(this.dir);
    if (problems.length) {
      for (const p of problems) this.log.error({ file: p.file, line: p.line, col: p.col, path: p.path, code: p.code }, formatProblem(p));
      this.log.error({ reason, problems: problems.length, generation: this.current.generation }, `reload rejected: ${problems.length} problem(s); still serving generation ${this.current.generation}`);
      return { ok: false, problems };
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
      this.log.debug({ reason }, 'reload: no change');
      return { ok: true, generation: this.current.generation, added, removed, changed };
    }
    const next = new ZoneSet(zones, this.current.generation + 1);
    this.current = next;
    this.install(next);
    this.log.info({ reason, generation: next.generation, added, removed, changed, zones: zones.length }, 'zones reloaded');
    return { ok: true, generation: next.generation, added, removed, changed };
  }

  /** Watch the directory (not the files: editors replace files by rename) and reload on change. */
  watch(): void {
    this.watcher = watch(this.dir, { persistent: false }, (_event, file) => {
      if (file && !/\.ya?ml$/.test(String(file))) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.reload(`file ${file ?? '?'} changed`);
      }, this.debounceMs);
    });
    this.watcher.on('error', (err) => this.log.error({ err, dir: this.dir }, 'zone directory watch failed'));
  }

  close(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }
}

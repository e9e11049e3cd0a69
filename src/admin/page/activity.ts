// What changed lately, for the status page: the last health transitions, worded as the log
// words them (src/health/log.ts), and the reloads with their outcome and problems. Both are kept
// in memory only, bounded, from the moment the admin API starts observing (before the state file
// is read and the cold-start probe round runs, so the first transitions are there too).
import { transitionMessage } from '../../health/log.js';
import type { HealthTable, Transition } from '../../health/table.js';
import { formatProblem } from '../../base/errors.js';
import { reloadResult, type ReloadResult } from '../metrics.js';

/** A reload's outcome (src/server/reloader.ts ReloadOutcome), as metrics.ts reads it. */
type ReloadOutcome = Parameters<typeof reloadResult>[0];
/** Where reload outcomes come from: the server's Reloader. */
export interface ReloadSource {
  onOutcome(fn: (outcome: ReloadOutcome, reason: string) => void): () => void;
}

/** As many transitions as the page lists (the issue asks for the last 100). */
export const TRANSITIONS_KEPT = 100;
export const RELOADS_KEPT = 20;

export interface TransitionEntry {
  at: string;
  kind: Transition['kind'];
  zone: string;
  site: string;
  address: string | null;
  from: string;
  to: string;
  reason: string;
  /** The log line's message, word for word. */
  message: string;
}

export interface ReloadEntry {
  at: string;
  /** What asked for it: `file change`, `SIGHUP`... as the reloader was told. */
  reason: string;
  result: ReloadResult;
  /** The generation served after it (unchanged when rejected). */
  generation: number;
  added: string[];
  removed: string[];
  changed: string[];
  /** A rejected reload's problems, as the log prints them (file:line:col: path: message [code]). */
  problems: string[];
  /** The files those problems name, so the page can show each zone its own error. */
  files: string[];
}

export class Activity {
  private readonly transitions: TransitionEntry[] = [];
  private readonly reloads: ReloadEntry[] = [];
  /** When each generation began to be served (generation 1: when observing started). */
  private readonly installed = new Map<number, string>();
  private readonly stops: (() => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {
    this.installed.set(1, new Date(now()).toISOString());
  }

  observeHealth(health: HealthTable): void {
    this.stops.push(
      health.onTransition((t) => {
        this.transitions.push({
          at: new Date(t.at).toISOString(),
          kind: t.kind,
          zone: t.zone,
          site: t.site,
          address: t.address,
          from: t.from,
          to: t.to,
          reason: t.reason,
          message: transitionMessage(t),
        });
        if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
      }),
    );
  }

  observeReloads(reloader: ReloadSource, generation: () => number): void {
    this.stops.push(reloader.onOutcome((o, reason) => this.noteReload(o, reason, generation())));
  }

  noteReload(o: ReloadOutcome, reason: string, generation: number): void {
    const at = new Date(this.now()).toISOString();
    const result = reloadResult(o);
    if (result === 'changed' && !this.installed.has(generation)) this.installed.set(generation, at);
    this.reloads.push({
      at,
      reason,
      result,
      generation,
      added: o.ok ? o.added : [],
      removed: o.ok ? o.removed : [],
      changed: o.ok ? o.changed : [],
      problems: o.ok ? [] : o.problems.map(formatProblem),
      files: o.ok ? [] : [...new Set(o.problems.map((p) => p.file))],
    });
    if (this.reloads.length > RELOADS_KEPT) this.reloads.shift();
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  /** Newest first. */
  recentTransitions(): TransitionEntry[] {
    return [...this.transitions].reverse();
  }

  /** Newest first. */
  recentReloads(): ReloadEntry[] {
    return [...this.reloads].reverse();
  }

  /** When `generation` began to be served; null if before observing started. */
  installedAt(generation: number): string | null {
    return this.installed.get(generation) ?? null;
  }
}

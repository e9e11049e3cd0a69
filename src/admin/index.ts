// The admin API (docs/admin.md): an HTTP listener, on loopback by default, serving /status,
// /metrics, /explain and the site and address overrides. It is a ServerAttachment
// (src/server/attachment.ts), attached by src/serve.ts: GeosteerServer opens it after its DNS
// listeners and closes it first; the metrics start counting before the cold-start probe round.
import type { ProberOptions } from '../health/prober.js';
import type { HealthTable } from '../health/table.js';
import type { Logger } from '../base/log.js';
import { AdminError, AdminErrorCode as E } from './errors.js';
import { LiveExplainer } from './explain.js';
import { addFleetVotes } from '../explain/fleet-votes.js';
import { AdminHttp, type Request, type Route } from './http.js';
import { Metrics, type MetricsSource, reloadResult } from './metrics.js';
import { resolveToken, type AdminOptions } from './options.js';
import {
  ADDRESS_ACTIONS,
  addressAction,
  type OverrideRequest,
  SITE_ACTIONS,
  siteAction,
} from './overrides.js';
import { Activity } from './page/activity.js';
import { PageAssets } from './page/assets.js';
import { buildDashboard } from './page/dashboard.js';
import { TrafficSampler } from './page/traffic.js';
import { buildStatus, ZoneGenerations } from './status.js';
import { type FleetView, registerFleetMetrics } from './fleet-metrics.js';

export { DEFAULT_ADMIN, DEFAULT_ADMIN_PORT, type AdminOptions } from './options.js';

/** What the admin API reads and changes in the running server. */
export interface AdminContext extends MetricsSource {
  readonly zonesDir: string;
  readonly stateFile: string | null;
}

export class Admin {
  readonly metrics = new Metrics();
  private http: AdminHttp | null = null;
  private readonly generations = new ZoneGenerations();
  private readonly startedAt = Date.now();
  private stopGenerations: (() => void) | null = null;
  /** Recent transitions and reloads, for the status page (src/admin/page/). */
  private readonly activity = new Activity();
  private traffic: TrafficSampler | null = null;
  /** The fleet (docs/fleet.md), when `fleet:` is configured: /status and /metrics show it. */
  private fleet: FleetView | null = null;

  private constructor(
    readonly options: AdminOptions,
    private readonly token: string | null,
    private readonly log: Logger,
  ) {}

  /**
   * Check the options and read the token, before anything else starts: a missing token file or
   * a non-loopback address without a token stops start-up at once.
   */
  static async create(options: AdminOptions, log: Logger): Promise<Admin> {
    return new Admin(options, await resolveToken(options), log);
  }

  /**
   * Start counting `health`'s transitions, and return probe options whose runner is timed and
   * counted: called before the state file is read and the cold-start round runs, so both count.
   */
  instrument<T extends ProberOptions>(health: HealthTable, probes: T | undefined): T {
    this.metrics.observe(health);
    this.activity.observeHealth(health);
    return { ...(probes as T), onResult: this.metrics.probeResult };
  }

  /** Show the fleet in /status and /metrics (src/serve.ts calls it before open). */
  useFleet(fleet: FleetView | null): void {
    this.fleet = fleet;
    if (fleet) registerFleetMetrics(this.metrics.registry, fleet);
  }

  /** Start serving. Rejects (and serves nothing) when the address cannot be bound. */
  async open(ctx: AdminContext): Promise<void> {
    this.metrics.attach(ctx);
    this.generations.note(ctx.handler.zoneSet);
    this.stopGenerations = ctx.reloader.onOutcome((o) => {
      if (reloadResult(o) === 'changed') this.generations.note(ctx.handler.zoneSet);
    });
    this.activity.observeReloads(ctx.reloader, () => ctx.handler.zoneSet.generation);
    this.traffic = new TrafficSampler(() => ctx.answers.answered());
    this.traffic.start();
    const explainer = new LiveExplainer({
      zones: () => ctx.handler.zoneSet,
      geo: ctx.handler.geo,
      health: ctx.health,
    });
    const { host, port } = this.options.listen;
    try {
      this.http = await AdminHttp.listen(
        host,
        port,
        { token: this.token, allowedHosts: this.options.allowedHosts ?? [] },
        this.routes(ctx, explainer),
        this.log,
      );
    } catch (err) {
      this.detach();
      throw new Error(`admin API: cannot listen on ${host}:${port}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.log.info(
      { admin: this.http.url, token: this.token !== null },
      `admin API listening on ${this.http.url}${this.token !== null ? ' (bearer token required)' : ''}`,
    );
  }

  /** Where it listens, once open (port 0 in the options: the port picked). */
  get address(): { host: string; port: number; url: string } | null {
    return this.http && { host: this.http.host, port: this.http.port, url: this.http.url };
  }

  async close(): Promise<void> {
    this.detach();
    await this.http?.close();
    this.http = null;
  }

  private detach(): void {
    this.metrics.detach();
    this.activity.stop();
    this.traffic?.stop();
    this.traffic = null;
    this.stopGenerations?.();
    this.stopGenerations = null;
  }

  private routes(ctx: AdminContext, explainer: LiveExplainer): Route[] {
    const overrideRequest = (req: Request): OverrideRequest => {
      const reason = fromQueryOrBody(req, 'reason');
      return {
        site: req.params[0]!,
        zone: optional(req, 'zone'),
        reason: reason ? `${reason} (admin API, ${req.remote})` : `admin API (${req.remote})`,
      };
    };
    const status = () => ({
      ...buildStatus({
        zones: ctx.handler.zoneSet,
        generations: this.generations,
        health: ctx.health,
        probes: ctx.prober.stats(),
        stateFile: ctx.stateFile,
        startedAt: this.startedAt,
        now: Date.now(),
      }),
      ...(this.fleet ? { fleet: this.fleet.status() } : {}),
    });
    const routes: Route[] = [
      ...new PageAssets().routes(),
      { method: 'GET', pattern: ['status'], handle: () => ({ json: status() }) },
      {
        method: 'GET',
        pattern: ['dashboard'],
        handle: () => ({
          json: buildDashboard({
            status: status(),
            zones: ctx.handler.zoneSet,
            activity: this.activity,
            traffic: this.traffic!.report(),
            geo: ctx.handler.geo,
            now: Date.now(),
          }),
        }),
      },
      {
        method: 'GET',
        pattern: ['metrics'],
        handle: async () => ({
          text: await this.metrics.text(),
          contentType: this.metrics.contentType,
        }),
      },
      {
        method: 'GET',
        pattern: ['explain'],
        handle: async (req) => {
          const format = req.query.get('format') ?? 'json';
          if (format !== 'json' && format !== 'text')
            throw new AdminError(E.badParam, `format must be json or text, got "${format}"`);
          const x = await explainer.explain({
            name: required(req, 'name'),
            type: req.query.get('type') || 'A',
            client: required(req, 'client'),
          });
          if (this.fleet) addFleetVotes(x, this.fleet.voteOf);
          if (format === 'json') return { json: x };
          const trace = ['', '1', 'true'].includes(req.query.get('trace') ?? 'false');
          return { text: LiveExplainer.text(x, trace), contentType: 'text/plain; charset=utf-8' };
        },
      },
    ];
    for (const action of SITE_ACTIONS)
      routes.push({
        method: 'POST',
        pattern: ['sites', '*', action],
        bodyKeys: OVERRIDE_BODY_KEYS,
        handle: async (req) => {
          const r = overrideRequest(req);
          const json = await siteAction(ctx.health, ctx.handler.zoneSet, action, r, ctx.stateFile);
          this.log.info(
            { action, site: r.site, zone: r.zone, remote: req.remote },
            `admin API: ${action} site ${r.site}`,
          );
          return { json };
        },
      });
    for (const action of ADDRESS_ACTIONS)
      routes.push({
        method: 'POST',
        pattern: ['sites', '*', 'addresses', '*', action],
        bodyKeys: OVERRIDE_BODY_KEYS,
        handle: async (req) => {
          const r = overrideRequest(req);
          const address = req.params[1]!;
          const json = await addressAction(
            ctx.health,
            ctx.handler.zoneSet,
            action,
            address,
            r,
            ctx.stateFile,
          );
          this.log.info(
            { action, site: r.site, address: json.address, zone: r.zone, remote: req.remote },
            `admin API: ${action} ${json.address} of site ${r.site}`,
          );
          return { json };
        },
      });
    return routes;
  }
}

function required(req: Request, name: string): string {
  const v = req.query.get(name);
  if (v === null || v.trim() === '')
    throw new AdminError(E.missingParam, `the query parameter ${name} is required`);
  return v;
}

/** What an override's JSON body may hold: the same as its query parameters. */
const OVERRIDE_BODY_KEYS = ['zone', 'reason'] as const;

/** A parameter from the query string or the JSON body (a string there), not both. */
function fromQueryOrBody(req: Request, name: string): string | null {
  const q = req.query.get(name);
  const b = req.body[name];
  if (b === undefined || b === null) return q;
  if (typeof b !== 'string')
    throw new AdminError(E.badBody, `${name} in the body must be a string, got ${typeof b}`);
  if (q !== null)
    throw new AdminError(E.badParam, `${name} is given twice: in the query and in the body`);
  return b;
}

function optional(req: Request, name: string): string | null {
  const v = fromQueryOrBody(req, name);
  if (v === null) return null;
  if (v.trim() === '') throw new AdminError(E.badParam, `the query parameter ${name} is empty`);
  return v;
}

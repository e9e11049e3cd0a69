// Manual overrides outlive the process: they are written to a JSON state file on every change and
// read back at start, before the first probe round, so a drained site never answers after a
// restart. Writes go to a temporary file in the same directory, are flushed, then renamed over
// the old file (rename is atomic within a file system), so a crash leaves the old or the new file,
// never half of one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type OverrideState = 'up' | 'down' | 'drain';
export const OVERRIDE_STATES: readonly OverrideState[] = ['up', 'down', 'drain'];

/** An override as stored and as listed: a site (address null) or one address of a site. */
export interface OverrideRecord {
  readonly zone: string;
  readonly site: string;
  readonly address: string | null;
  readonly state: OverrideState;
  /** When it was set, ms since the epoch. */
  readonly at: number;
  /** Who or why, as given when it was set (the admin API passes its request). */
  readonly reason: string;
}

interface StateFileV1 {
  version: 1;
  overrides: {
    zone: string;
    site: string;
    address?: string;
    state: OverrideState;
    at: string;
    reason?: string;
  }[];
}

/** The overrides in a state file; none when there is no file. Throws on a damaged or unreadable one. */
export async function readStateFile(path: string): Promise<OverrideRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // No file (ENOTDIR: a directory on its path is a file, so it cannot exist): no overrides yet.
    // Saving one will then fail, and say so; a file that exists but cannot be read stops start-up.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new Error(`state file ${path}: ${(err as Error).message}`, { cause: err });
  }
  // Refusing to start is safer than starting without the overrides: an operator who drained a
  // site expects it to stay drained.
  const fail = (why: string): never => {
    throw new Error(
      `state file ${path}: ${why}; fix it or remove it (it holds only manual overrides)`,
    );
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  const d = data as Partial<StateFileV1> | null;
  if (!d || typeof d !== 'object' || d.version !== 1 || !Array.isArray(d.overrides))
    return fail('expected {"version": 1, "overrides": [...]}');
  return d.overrides.map((o, i) => {
    const ok =
      o &&
      typeof o.zone === 'string' &&
      typeof o.site === 'string' &&
      (o.address === undefined || typeof o.address === 'string') &&
      OVERRIDE_STATES.includes(o.state) &&
      typeof o.at === 'string' &&
      !Number.isNaN(Date.parse(o.at));
    if (!ok) fail(`overrides[${i}] is not {zone, site, address?, state: up|down|drain, at}`);
    return {
      zone: o.zone,
      site: o.site,
      address: o.address ?? null,
      state: o.state,
      at: Date.parse(o.at),
      reason: typeof o.reason === 'string' ? o.reason : '',
    };
  });
}

/** Replace the state file with these overrides, atomically (temporary file, fsync, rename). */
export async function writeStateFile(
  path: string,
  overrides: readonly OverrideRecord[],
): Promise<void> {
  const data: StateFileV1 = {
    version: 1,
    overrides: overrides.map((o) => ({
      zone: o.zone,
      site: o.site,
      ...(o.address !== null ? { address: o.address } : {}),
      state: o.state,
      at: new Date(o.at).toISOString(),
      ...(o.reason ? { reason: o.reason } : {}),
    })),
  };
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(JSON.stringify(data, null, 2) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

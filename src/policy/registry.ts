import { failover } from './failover.js';
import { geo } from './geo.js';
import { nearest } from './nearest.js';
import { sticky } from './sticky.js';
import type { PolicyCompiler } from './types.js';
import { weighted } from './weighted.js';

/** Every steering policy, by the name used in `steer:`. */
export const POLICIES: ReadonlyMap<string, PolicyCompiler> = new Map(
  [weighted, nearest, geo, failover, sticky].map((p) => [p.kind, p]),
);

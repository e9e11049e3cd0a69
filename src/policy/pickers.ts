// The code of every policy kind, by kind: decide.ts picks with PICKERS[rec.policy.kind] per query
// (one property lookup), over the record's compiled data (policy-data.ts). Only pick code lives
// behind this table, never a compiler, so the answer threads that import it never load the YAML
// reader or the zone compiler (test/thread-imports.test.ts checks that).
import { failoverPicker } from './failover-pick.js';
import { geoPicker } from './geo-pick.js';
import { nearestPicker } from './nearest-pick.js';
import type { Policy, PolicyKind } from './policy-data.js';
import { delegatePicker } from './referral.js';
import { stickyPicker } from './sticky-pick.js';
import type { Picker } from './types.js';
import { weightedPicker } from './weighted-pick.js';

/** Each kind's picker, typed for that kind's data. */
const BY_KIND: { readonly [K in PolicyKind]: Picker<Extract<Policy, { kind: K }>> } = {
  weighted: weightedPicker,
  nearest: nearestPicker,
  geo: geoPicker,
  failover: failoverPicker,
  sticky: stickyPicker,
  delegate: delegatePicker,
};

/** The picker for a policy's kind; its data is of that kind by construction. */
export const PICKERS = BY_KIND as { readonly [K in PolicyKind]: Picker };

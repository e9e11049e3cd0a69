// Key states read from BIND's timing metadata at a given time.
import { describe, expect, it } from 'vitest';
import { isPublished, isSigning, keyState, nextEvent } from '../src/dnssec/key-state.js';
import type { KeyTiming } from '../src/dnssec/keys.js';

const T = (day: number) => Date.UTC(2027, 0, day) / 1000;
// Published on the 1st, active on the 2nd, revoked on the 5th, inactive on the 10th, deleted on the 20th.
const timing: KeyTiming = {
  created: T(1),
  publish: T(1),
  activate: T(2),
  revoke: T(5),
  inactive: T(10),
  delete: T(20),
};

describe('keyState', () => {
  it.each([
    [T(1) - 1, 'created', false, false, 'Publish'],
    [T(1), 'published', true, false, 'Activate'],
    [T(2), 'active', true, true, 'Revoke'],
    [T(5), 'revoked', true, true, 'Inactive'],
    [T(10), 'inactive', true, false, 'Delete'],
    [T(20), 'deleted', false, false, null],
  ] as const)('at %i: %s', (now, state, published, signing, next) => {
    expect(keyState(timing, now)).toBe(state);
    expect(isPublished(timing, now)).toBe(published);
    expect(isSigning(timing, now)).toBe(signing);
    expect(nextEvent(timing, now)?.event ?? null).toBe(next);
  });

  it('a key without timing metadata is active, as BIND takes it', () => {
    expect(keyState({}, T(1))).toBe('active');
    expect(keyState({ created: T(1) }, T(1))).toBe('active');
    expect(nextEvent({}, T(1))).toBeNull();
  });

  it('the next event is the earliest one still to come', () => {
    expect(nextEvent({ delete: T(9), inactive: T(3) }, T(1))).toEqual({
      event: 'Inactive',
      at: T(3),
    });
  });
});

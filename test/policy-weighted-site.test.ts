// steer: weighted with group: site — gdnsd's grouped weighted mode (docs/policies/weighted.md):
// the rotation picks one site and the answer holds every up address it has of the family asked.
// The rotation is deterministic, so every row states the exact sequence of answers.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileText } from '../src/zone/load.js';
import {
  conformance,
  Harness,
  problems,
  type SiteSpec,
  where,
  zoneYaml,
} from './policy-conformance.js';

conformance({
  kind: 'weighted',
  label: 'weighted, group: site',
  defaultAnswers: 64,
  stanza: (s) => [`sites: [${s.join(', ')}]`, 'group: site'],
});

/**
 * Site a: three IPv4 addresses and one IPv6; b: two IPv4; c: one IPv6 only. Addresses are
 * 192.0.2.<site><n> (a1 = 192.0.2.11) and 2001:db8::<site><n>.
 */
const SITES: Record<string, SiteSpec> = {
  a: { weight: 2, addresses: ['192.0.2.11', '192.0.2.12', '192.0.2.13', '2001:db8::11'] },
  b: { weight: 1, addresses: ['192.0.2.21', '192.0.2.22'] },
  c: { weight: 1, addresses: ['2001:db8::31'] },
};
const site = (addr: string) => 'abc'[Number(/(\d)\d$/.exec(addr)![1]) - 1]!;

const zone = (extra: string[] = [], sites = SITES) =>
  zoneYaml(sites, { www: ['steer: weighted', 'sites: [a, b, c]', 'group: site', ...extra] });

/** The next `n` answers, each as its addresses' last octets or groups: "11,12,13 21,22 ...". */
function answers(h: Harness, n: number, type: 'A' | 'AAAA' = 'A'): string {
  return Array.from({ length: n }, () =>
    h
      .pick('www', type)
      .map((a) => /(\d+)$/.exec(a)![1])
      .join(','),
  ).join(' ');
}

describe('weighted, group: site: one whole site per answer', () => {
  it('answers every up address of the picked site, sites in 2:1 turns', () => {
    const h = new Harness(zone());
    expect(h.record('www').answers).toBe(64);
    expect(answers(h, 6)).toBe('11,12,13 21,22 11,12,13 11,12,13 21,22 11,12,13');
  });

  it('never mixes sites in one answer', () => {
    const h = new Harness(zone());
    for (let i = 0; i < 30; i++) expect(new Set(h.pick('www', 'A').map(site)).size).toBe(1);
  });

  it('answers only the family asked: a site with no address of it is skipped', () => {
    const h = new Harness(zone());
    // AAAA: a (weight 2, one IPv6) and c (weight 1); b has no IPv6 and never answers.
    expect(answers(h, 6, 'AAAA')).toBe('11 31 11 11 31 11');
  });

  it('leaves a down address out, and weighs its site by the share of address weight up', () => {
    const h = new Harness(zone());
    h.health.setAddress('example.org', 'a', '192.0.2.12', false);
    h.health.setAddress('example.org', 'a', '192.0.2.13', false);
    // a has 1 of 3 IPv4 addresses up: weight 2 × 1/3 against b's 1, as gdnsd weighs a group by
    // the weight of its up addresses: 2:3 over five answers.
    expect(answers(h, 5)).toBe('21,22 11 21,22 11 21,22');
  });

  it('address weights count in the up share', () => {
    const h = new Harness(
      zone([], {
        a: { weight: 1, addresses: ['192.0.2.11', '{ address: 192.0.2.12, weight: 3 }'] },
        b: { weight: 1, addresses: ['192.0.2.21'] },
      }).replace('sites: [a, b, c]', 'sites: [a, b]'),
    );
    h.health.setAddress('example.org', 'a', '192.0.2.12', false);
    // a: 1 of 4 address weight up, 0.25 against b's 1: 1:4 over five answers.
    expect(answers(h, 5)).toBe('21 21 11 21 21');
  });

  it('a withdrawn site gets nothing; it rejoins when it comes back', () => {
    const h = new Harness(zone());
    h.withdraw(['a']);
    expect(answers(h, 3)).toBe('21,22 21,22 21,22');
    h.restore(['a']);
    expect(new Set(answers(h, 3).split(' '))).toEqual(new Set(['11,12,13', '21,22']));
  });

  it('all down: serve_all answers as if every address were up, with the full weights', () => {
    const h = new Harness(zone());
    h.withdraw(['a', 'b', 'c']);
    expect(answers(h, 6)).toBe('11,12,13 21,22 11,12,13 11,12,13 21,22 11,12,13');
    expect(h.decision('www', 'A')).toMatchObject({ mode: 'serve_all', sites: ['a'] });
  });

  it('all down with when_all_down: nodata answers no address', () => {
    const h = new Harness(zone(['when_all_down: nodata']));
    h.withdraw(['a', 'b', 'c']);
    expect(h.pick('www', 'A')).toEqual([]);
  });

  it('answers: N caps the one site’s addresses, never filling up from another site', () => {
    const h = new Harness(zone(['answers: 2']));
    const got = answers(h, 3).split(' ');
    expect(got.map((a) => a.split(',').length)).toEqual([2, 2, 2]);
    for (const a of got) expect(new Set(a.split(',').map((x) => x[0]))).toHaveProperty('size', 1);
    expect(got[1]).toBe('21,22');
  });

  it('explains the pick', () => {
    const h = new Harness(zone());
    h.health.setAddress('example.org', 'a', '192.0.2.13', false);
    expect(h.trace('www', 'A')).toEqual([
      'site a: available, 2 IPv4 address(es) up',
      'site b: available, 2 IPv4 address(es) up',
      'site c: no IPv4 address up',
      'weighted round robin over whole sites, a (weight 2, 1.33 for its up addresses), b (weight 1): a with its up addresses',
      'answer: a (2 address(es)), ECS scope /0',
    ]);
  });
});

describe('weighted, group: validation', () => {
  it.each([
    ['group: sites', 'sites', 'got string "sites"'],
    ['group: [site]', '[site]', 'got a list'],
  ])('%s', (line, token, got) => {
    const text = zone().replace('group: site', line);
    expect(problems(text)).toEqual([
      `${where(text, token, line)} records.www.group: must be site (answer with every up address of one site) or none (the default), got ${got.replace('got ', '')} [bad-value]`,
    ]);
  });

  it('group: none is the default mode', () => {
    const h = new Harness(zone().replace('group: site', 'group: none'));
    expect(h.record('www').answers).toBe(1);
    expect(answers(h, 3)).toBe('11 21 12');
  });
});

describe('weighted, group: site: docs/policies/weighted.md', () => {
  it('the grouped example compiles and answers a whole site', async () => {
    const md = await readFile('docs/policies/weighted.md', 'utf8');
    const block = /```yaml\n(zone: grouped\.example\.org\n[\s\S]*?)```/.exec(md);
    expect(block, 'the group: site example').not.toBeNull();
    const r = compileText('docs.yaml', block![1]!);
    expect(r.problems).toEqual([]);
    const h = new Harness(block![1]!.replace('zone: grouped.example.org', 'zone: example.org'));
    expect(h.pick('www', 'A')).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(h.pick('www', 'A')).toEqual(['198.51.100.10', '198.51.100.11']);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runtimeProblem } from '../src/runtime.js';

describe('the Node.js geosteer runs on', () => {
  it.each([
    ['20.20.2', false],
    ['22.11.0', false],
    ['22.12.0', true],
    ['23.0.0', true],
    ['24.21.0', true],
  ])('Node %s accepted: %s', (version, ok) => {
    const problem = runtimeProblem(version);
    expect(problem === null).toBe(ok);
    if (!ok) expect(problem).toContain(`this is ${version}`);
  });

  it('the tests themselves run on Node 24, the version npm scripts find first', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('an old Node stops the CLI with the sentence, not a stack trace', () => {
    // The system Node of the project's machines is 20 (Node 24 comes from node_modules); on a
    // machine whose PATH has no older Node this checks the first Node found instead.
    const sysNode = spawnSync(
      '/usr/bin/env',
      ['-i', 'PATH=/usr/local/bin:/usr/bin:/bin', 'node', '--version'],
      {
        encoding: 'utf8',
      },
    );
    const version = sysNode.stdout.trim().replace(/^v/, '');
    const run = spawnSync(
      '/usr/bin/env',
      [
        '-i',
        'PATH=/usr/local/bin:/usr/bin:/bin',
        'node',
        '--import',
        'tsx',
        'src/cli.ts',
        '--version',
      ],
      { encoding: 'utf8' },
    );
    if (runtimeProblem(version)) {
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(runtimeProblem(version));
    } else {
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toBe(
        execFileSync('node', ['-p', "require('./package.json').version"], {
          encoding: 'utf8',
        }).trim(),
      );
    }
  });
});

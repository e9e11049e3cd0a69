import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('docker-compose.yml', () => {
  it('is a valid compose file (docker-compose config, no engine needed)', () => {
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { encoding: 'utf8' });
    expect(out).toMatch(/geosteer:/);
    expect(out).toMatch(/published: 5353|127\.0\.0\.1:5353:5353\/udp/);
  });
});

// The docker-compose demo, checked without a container engine: `docker-compose config` (Debian's
// docker-compose 1.29) validates and normalises docker-compose.yml, geosteer's own compiler loads
// demo/zones, and `unbound-checkconf` (Debian's unbound) parses demo/unbound/unbound.conf. The
// addresses that tie them together (fixed container IPs) are checked against each other, so an
// edit to one file that forgets the others fails here rather than in someone's `docker compose up`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { loadZoneDir } from '../src/zone/load.js';

interface Service {
  command?: string[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  ports?: (
    string | { target: number; published: number | string; host_ip?: string; protocol?: string }
  )[];
  sysctls?: Record<string, string | number>;
  networks?: Record<string, { ipv4_address?: string } | null>;
}

const config = parse(
  execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { encoding: 'utf8' }),
) as { services: Record<string, Service> };
const services = config.services;
const GEOSTEER = ['geosteer', 'geosteer-2', 'geosteer-site-a', 'geosteer-site-b'];

/** Volumes as { source, target, readOnly }, from the short ("src:dst:ro") or long form. */
function mounts(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string')
      return { source: v.source, target: v.target, readOnly: v.read_only === true };
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** Published ports as "host_ip:published:target/protocol", from the short or long form. */
function ports(s: Service): string[] {
  return (s.ports ?? []).map((p) =>
    typeof p === 'string'
      ? p
      : `${p.host_ip ?? '0.0.0.0'}:${p.published}:${p.target}/${p.protocol ?? 'tcp'}`,
  );
}

function ip(name: string): string {
  const a = services[name]?.networks?.gslb?.ipv4_address;
  if (!a) throw new Error(`service ${name} has no fixed address on network gslb`);
  return a;
}

function flag(s: Service, name: string): string | undefined {
  const c = s.command ?? [];
  const i = c.indexOf(name);
  return i < 0 ? undefined : c[i + 1];
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose config -q (no engine needed)', () => {
    expect(() =>
      execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it('has two parents, two site instances, two backends, unbound and etcd', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'backend-a',
        'backend-b',
        'etcd',
        'geosteer',
        'geosteer-2',
        'geosteer-site-a',
        'geosteer-site-b',
        'unbound',
      ].sort(),
    );
  });

  it('joins every geosteer to one fleet on the etcd service, each under its own name', async () => {
    const names: string[] = [];
    for (const n of GEOSTEER) {
      const file = mounts(services[n]!).find((m) => m.target === flag(services[n]!, '--config'));
      expect(file, `${n} mounts its --config`).toBeDefined();
      expect(file!.readOnly).toBe(true);
      const cfg = await loadConfig(file!.source);
      expect(cfg.fleet?.endpoints).toEqual([`http://${ip('etcd')}:2379`]);
      names.push(cfg.fleet!.name);
    }
    expect(new Set(names).size).toBe(GEOSTEER.length);
    expect(readFileSync('demo/etcd/Dockerfile', 'utf8')).toContain(
      `--advertise-client-urls", "http://${ip('etcd')}:2379"`,
    );
  });

  it('mounts one zones directory, read-only, into all three geosteer services', () => {
    const zones = GEOSTEER.map((n) => mounts(services[n]!).find((m) => m.target === '/app/zones'));
    for (const m of zones) {
      expect(m).toBeDefined();
      expect(m!.readOnly).toBe(true);
      expect(m!.source).toBe(resolve('demo/zones'));
    }
    for (const n of GEOSTEER) expect(flag(services[n]!, '--zones')).toBe('/app/zones');
  });

  it('runs the parents without a site and each site instance with --site', () => {
    expect(flag(services['geosteer']!, '--site')).toBeUndefined();
    expect(flag(services['geosteer-2']!, '--site')).toBeUndefined();
    expect(flag(services['geosteer-site-a']!, '--site')).toBe('a');
    expect(flag(services['geosteer-site-b']!, '--site')).toBe('b');
  });

  it('serves port 53 as the node user through the sysctl, not as root', () => {
    for (const n of GEOSTEER) {
      expect(flag(services[n]!, '--listen')).toBe('0.0.0.0:53');
      expect(String(services[n]!.sysctls?.['net.ipv4.ip_unprivileged_port_start'])).toBe('0');
    }
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^COPY geoip \.\/geoip$/m);
    expect(dockerfile).toMatch(/^COPY zones \.\/zones$/m);
  });

  it('publishes unbound on 127.0.0.1:5300, UDP and TCP, and nothing beyond loopback', () => {
    expect(ports(services['unbound']!)).toEqual(
      expect.arrayContaining(['127.0.0.1:5300:53/udp', '127.0.0.1:5300:53/tcp']),
    );
    for (const s of Object.values(services))
      for (const p of ports(s)) expect(p).toMatch(/^127\.0\.0\.1:/);
  });
});

describe('demo/zones', () => {
  it('compiles with no problems, and names the compose addresses', async () => {
    const { zones, problems } = await loadZoneDir('demo/zones');
    expect(problems).toEqual([]);
    expect(zones.map((z) => z.origin)).toEqual(['gslb.example.test']);
    const zone = zones[0]!;
    const site = (name: string) => {
      const s = zone.sites.get(name);
      if (!s) throw new Error(`no site ${name}`);
      return s;
    };
    // Each site's VIP is its backend; its nameserver is its geosteer instance; probes hit the
    // port the backend listens on.
    for (const [name, backend, instance] of [
      ['a', 'backend-a', 'geosteer-site-a'],
      ['b', 'backend-b', 'geosteer-site-b'],
    ] as const) {
      expect(site(name).v4.map((a) => a.address)).toEqual([ip(backend)]);
      expect(
        site(name).nameserver?.addresses.map((r) => ('address' in r ? r.address : '')),
      ).toEqual([ip(instance)]);
      const probe = site(name).v4[0]!.probe;
      expect(probe.type).toBe('http');
      expect('port' in probe && probe.port).toBe(8080);
    }
    for (const name of ['static', 'weighted', 'failover', 'edge', 'www'])
      expect(zone.nodes.has(`${name}.gslb.example.test`)).toBe(true);
    expect(zone.nodes.get('edge.gslb.example.test')?.delegation).toBeTruthy();
    expect(readFileSync('demo/backend/server.mjs', 'utf8')).toMatch(/PORT \?\? 8080/);
  });
});

describe('demo/unbound/unbound.conf', () => {
  const conf = readFileSync('demo/unbound/unbound.conf', 'utf8');

  it('parses with unbound-checkconf', () => {
    const out = execFileSync('unbound-checkconf', ['demo/unbound/unbound.conf'], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/no errors/);
  });

  it('sends gslb.example.test to the parent geosteer, and lets test. through', () => {
    expect(conf).toMatch(/name: "gslb\.example\.test"/);
    expect(conf.match(/stub-addr: (\S+)/)?.[1]).toBe(ip('geosteer'));
    expect(conf).toMatch(/local-zone: "test\." nodefault/);
    expect(conf).toMatch(/interface: 0\.0\.0\.0/);
  });
});

// `fleet.tls` and `fleet.auth` against a real etcd (Debian's, one member on a loopback port) that
// requires both, set up with the etcdctl commands docs/fleet.md#running-etcd-for-it gives: TLS
// with client certificates (--client-cert-auth) and user/password authentication with a role
// limited to the fleet's prefix. Certificates are made in code (test/helpers/x509.ts). An
// instance with the right certificate and password joins the fleet; one without a client
// certificate, or with a wrong password, is refused by etcd and keeps answering alone, saying so.
// Every process is stopped by its PID.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ETCD,
  ETCDCTL,
  type Instance,
  makeInstance,
  startInstance,
  status,
  stopInstance,
  tempRoot,
  until,
  ZONE,
} from './fleet-harness.js';
import { freePort, runCliToEnd } from './helpers/cli.js';
import { queryUdp } from './helpers/dns-client.js';
import { selfSignedCert } from './helpers/x509.js';

const PREFIX = '/fleet-test/';
const ROOT_PASSWORD = 'root-secret';
const PASSWORD = 'geosteer-secret';

let root: string;
let etcd: ChildProcess | null = null;
let endpoint: string;
/** etcdctl's TLS flags: trust the server's certificate, present the client's. */
let tlsFlags: string[];
const instances: Instance[] = [];

/** A zone without probes: answers depend only on overrides. */
const zone = `zone: ${ZONE}
nameservers:
  ns1.${ZONE}: [192.0.2.53]
sites:
  fra: { addresses: [192.0.2.10] }
  ams: { addresses: [192.0.2.20] }
records:
  www: { steer: failover, groups: [[fra, ams]] }
`;

function etcdctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      ETCDCTL,
      ['--endpoints', endpoint, ...tlsFlags, ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(stdout),
    ),
  );
}

const asRoot = (...args: string[]) => etcdctl('--user', `root:${ROOT_PASSWORD}`, ...args);

async function answer(i: Instance): Promise<string[]> {
  const r = await queryUdp(i.port, `www.${ZONE}`, 'A');
  return (r.answers ?? []).map((a) => (a as { data: string }).data).sort();
}

/** An instance whose fleet: section adds `security` (lines of tls: and auth:). */
async function instance(name: string, security: string): Promise<Instance> {
  const i = await makeInstance(root, name, '127.0.0.1', [endpoint], zone, 2, security);
  instances.push(i);
  return i;
}

beforeAll(async () => {
  root = await tempRoot();
  const pki = join(root, 'pki');
  await mkdir(pki);
  // The server's certificate names 127.0.0.1 (the client checks it); the client's CN is not a
  // user etcd knows, so only the password can authorise it.
  const server = selfSignedCert('etcd', ['127.0.0.1']);
  const client = selfSignedCert('not-a-user');
  await writeFile(join(pki, 'server.pem'), server.cert);
  await writeFile(join(pki, 'server-key.pem'), server.key);
  await writeFile(join(pki, 'client.pem'), client.cert);
  await writeFile(join(pki, 'client-key.pem'), client.key);
  tlsFlags = [
    `--cacert=${join(pki, 'server.pem')}`,
    `--cert=${join(pki, 'client.pem')}`,
    `--key=${join(pki, 'client-key.pem')}`,
  ];
  endpoint = `https://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  etcd = spawn(
    ETCD,
    [
      '--name=m0',
      `--data-dir=${join(root, 'etcd')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=m0=${peer}`,
      `--cert-file=${join(pki, 'server.pem')}`,
      `--key-file=${join(pki, 'server-key.pem')}`,
      '--client-cert-auth',
      // The client's self-signed certificate is its own trust anchor.
      `--trusted-ca-file=${join(pki, 'client.pem')}`,
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  await until(
    'etcd answers over TLS',
    async () => ((await etcdctl('put', 'up', '1')) ? true : undefined),
    30_000,
  );
  // docs/fleet.md's authentication steps, non-interactive.
  await etcdctl('user', 'add', 'root', `--new-user-password=${ROOT_PASSWORD}`);
  await etcdctl('role', 'add', 'root');
  await etcdctl('user', 'grant-role', 'root', 'root');
  await etcdctl('user', 'add', 'geosteer', `--new-user-password=${PASSWORD}`);
  await etcdctl('role', 'add', 'geosteer');
  await etcdctl('role', 'grant-permission', 'geosteer', '--prefix=true', 'readwrite', PREFIX);
  await etcdctl('user', 'grant-role', 'geosteer', 'geosteer');
  await etcdctl('auth', 'enable');
  await writeFile(join(root, 'etcd-password'), `${PASSWORD}\n`);
  await writeFile(join(root, 'wrong-password'), 'not-the-password\n');
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => stopInstance(i)));
  const p = etcd;
  if (p && p.exitCode === null && p.pid !== undefined) {
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await exited;
  }
  await rm(root, { recursive: true, force: true });
}, 60_000);

const tls = (withClientCert: boolean) =>
  `  tls: { ca: ../pki/server.pem${withClientCert ? ', cert: ../pki/client.pem, key: ../pki/client-key.pem' : ''} }\n`;
const auth = (file: string) => `  auth: { user: geosteer, password_file: ../${file} }\n`;

describe('fleet: with TLS client certificates and user/password', () => {
  it('joins the fleet over TLS with its password: a drain lands in etcd, fleet status reads it', async () => {
    const a = await instance('a', tls(true) + auth('etcd-password'));
    await startInstance(a);
    await until('a connected', async () => ((await status(a)).connected ? true : undefined));
    expect(await asRoot('get', '--keys-only', `${PREFIX}instances/a`)).toContain(
      `${PREFIX}instances/a`,
    );
    const res = await fetch(`${a.admin}/sites/fra/drain?zone=${ZONE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'tls test' }),
    });
    expect(res.status, await res.text()).toBe(200);
    expect(await answer(a)).toEqual(['192.0.2.20']);
    await until('the drain in etcd', async () => {
      const v = await asRoot('get', '--print-value-only', `${PREFIX}overrides/${ZONE}/fra`);
      return v.includes('"drain"') ? true : undefined;
    });
    // The CLI reads the same tls: and auth: from the config.
    const st = await runCliToEnd('fleet', 'status', '--json', '-c', join(a.dir, 'geosteer.yaml'));
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({
      instances: [{ name: 'a' }],
      overrides: [
        { site: 'fra', state: 'drain', by: 'a', reason: expect.stringContaining('tls test') },
      ],
    });
  }, 60_000);

  it.each([
    // The log line gives etcd's (or gRPC's) reason: a refused handshake, a refused password.
    ['without a client certificate', 'b', () => tls(false) + auth('etcd-password'), /UNAVAILABLE/],
    [
      'with a wrong password',
      'c',
      () => tls(true) + auth('wrong-password'),
      /authentication failed, invalid user ID or password/,
    ],
  ])(
    '%s: refused by etcd, answers alone and says so',
    async (_, name, security, reason) => {
      const i = await instance(name, security());
      await startInstance(i);
      const said = i.cli!.lines.find((l) => String(l.msg).includes('etcd not reached at start'));
      expect(said?.reason).toMatch(reason);
      expect((await status(i)).connected).toBe(false);
      const m = await (await fetch(`${i.admin}/metrics`)).text();
      expect(m).toMatch(/^geosteer_fleet_connected 0$/m);
      // Alone, it answers with its own state: fra is not drained here.
      expect(await answer(i)).toEqual(['192.0.2.10', '192.0.2.20']);
      expect(await asRoot('get', '--keys-only', `${PREFIX}instances/${name}`)).toBe('');
    },
    60_000,
  );
});

// What a web page in a real browser (Chromium, headless) can do to the admin API on loopback: a
// page from another origin tries a form post, a no-cors fetch and a JSON fetch; a script running
// under a rebound name (evil.example resolving to 127.0.0.1, --host-resolver-rules) tries a
// same-origin change. None changes anything: the site's state and a real DNS answer are asserted
// after each. A page of the API's own origin (as the status page is) makes the same change.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryUdp } from './helpers/dns-client.js';
import { LOOPBACK_ADMIN, request } from './helpers/admin.js';
import { startServer, type TestServer } from './helpers/server.js';

const ZONE = `
zone: b.test
nameservers:
  ns1.b.test: [192.0.2.53]
sites:
  fra: { addresses: [192.0.2.10] }
  ams: { addresses: [192.0.2.20] }
records:
  www:
    steer: failover
    groups: [[fra], [ams]]
`;

let s: TestServer;
let admin: string;
let adminPort: number;
let attacker: Server;
let attackerPort: number;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  s = await startServer({ 'b.test.yaml': ZONE }, { admin: LOOPBACK_ADMIN });
  admin = s.admin!.address!.url;
  adminPort = s.admin!.address!.port;
  // The attacker's site: an empty page to run scripts from.
  attacker = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>a page</title><iframe name="sink"></iframe>');
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerPort = (attacker.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--host-resolver-rules=MAP evil.example 127.0.0.1'],
  });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => attacker?.close(() => r()));
  await s?.stop();
});

async function www(): Promise<string[]> {
  const p = await queryUdp(s.port, 'www.b.test', 'A');
  return (p.answers ?? []).map((r) => String((r as { data: string }).data));
}

async function overrides(): Promise<unknown[]> {
  return ((await request(admin, 'GET', '/status')).json as { overrides: unknown[] }).overrides;
}

/** The admin API's refusal log lines so far, as "code-less" reasons. */
const refusals = () =>
  s.logs.filter((l) => String(l.msg).startsWith('admin API: refused')).map((l) => String(l.msg));

describe('a page in a real browser', () => {
  it('from another origin: a form post, a no-cors fetch and a JSON fetch change nothing', async () => {
    await page.goto(`http://evil.example:${attackerPort}/`);
    const target = `http://127.0.0.1:${adminPort}/sites/fra/force-down`;
    const before = refusals().length;
    const outcome = await page.evaluate(async (url) => {
      const results: string[] = [];
      // A form: the simplest cross-site request, sent without any preflight.
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = url;
      form.target = 'sink';
      form.enctype = 'text/plain';
      const input = document.createElement('input');
      input.name = '{"reason":"x","y":"';
      input.value = '"}';
      form.appendChild(input);
      document.body.appendChild(form);
      const loaded = new Promise((r) =>
        document.querySelector('iframe')!.addEventListener('load', r),
      );
      form.submit();
      await loaded;
      results.push('form sent');
      // no-cors: sent, the reply unreadable; only simple content types are allowed.
      await fetch(url, {
        method: 'POST',
        mode: 'no-cors',
        body: '{}',
        headers: { 'content-type': 'text/plain' },
      });
      results.push('no-cors sent');
      // JSON needs a preflight, which the API never grants.
      try {
        await fetch(url, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        });
        results.push('json allowed');
      } catch {
        results.push('json blocked');
      }
      return results;
    }, target);
    expect(outcome).toEqual(['form sent', 'no-cors sent', 'json blocked']);
    // The form and the no-cors fetch reached the API and were refused; the preflight got no
    // Access-Control-Allow-* header, so the JSON request was never sent.
    expect(refusals().slice(before)).toEqual([
      expect.stringMatching(/^admin API: refused, a change from Origin http:\/\/evil\.example:/),
      expect.stringMatching(/^admin API: refused, a change from Origin http:\/\/evil\.example:/),
    ]);
    expect(await overrides()).toEqual([]);
    expect(await www()).toEqual(['192.0.2.10']);
  }, 30_000);

  it('under a rebound name (evil.example is 127.0.0.1): a same-origin change is refused', async () => {
    // The attacker's page now lives at evil.example on the API's port, as after DNS rebinding:
    // its requests are same-origin, so the browser sends them freely. The Host names it.
    await page.goto(`http://evil.example:${adminPort}/`);
    const status = await page.evaluate(async () => {
      const r = await fetch('/sites/fra/force-down', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'rebound' }),
      });
      return [r.status, ((await r.json()) as { error: { code: string } }).error.code];
    });
    expect(status).toEqual([403, 'forbidden-host']);
    expect(await overrides()).toEqual([]);
    expect(await www()).toEqual(['192.0.2.10']);
  }, 30_000);

  it("from the API's own origin (the status page's contract), the change is made", async () => {
    await page.goto(`${admin}/status`);
    const status = await page.evaluate(async () => {
      const r = await fetch('/sites/fra/drain', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'from the page' }),
      });
      return r.status;
    });
    expect(status).toBe(200);
    expect(await overrides()).toMatchObject([
      { site: 'fra', state: 'drain', reason: 'from the page (admin API, 127.0.0.1)' },
    ]);
    expect(await www()).toEqual(['192.0.2.20']);
  }, 30_000);
});

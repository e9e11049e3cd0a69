// The fields of a probe stanza that belong to one probe type: a dns probe's question, an http(s)
// probe's request and expected response. src/health/config.ts compiles the stanza and calls these;
// every mistake is reported with file:line:col, all at once.
import { isIP } from 'node:net';
import { ProblemCode as C } from '../base/errors.js';
import {
  describe,
  type Entry,
  isScalar,
  type Node,
  scalarBool,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { typeFromName } from '../wire/constants.js';
import { checkName } from '../wire/names.js';
import { parseExpect } from './config-values.js';
import { DEFAULT_EXPECT, type HttpProbe } from './spec.js';

export type HttpFields = Pick<
  HttpProbe,
  'path' | 'method' | 'expect' | 'body' | 'host' | 'sni' | 'insecure'
>;

/** A dns probe's `name` (required) and `qtype` (A unless given). */
export function compileDnsFields(
  src: Source,
  get: (k: string) => Entry | undefined,
  node: Node | null,
  path: string,
): { name: string; qtype: number } {
  const nameE = get('name');
  let name = '';
  if (!nameE)
    src.report(
      node,
      path,
      C.missingKey,
      'a dns probe needs "name": a name the server answers NOERROR for, e.g. example.com',
    );
  else {
    const t = scalarText(nameE.value);
    const abs = t === null ? null : t === '.' ? '' : t.replace(/\.$/, '');
    const bad = abs === null ? null : checkName(abs, false);
    if (abs === null || (bad && !bad.ok))
      src.report(
        nameE.value,
        nameE.path,
        C.badName,
        abs === null
          ? `must be a domain name, got ${describe(nameE.value)}`
          : (bad as { message: string }).message,
      );
    else name = abs;
  }
  const qtypeE = get('qtype');
  let qtype = typeFromName('A')!;
  if (qtypeE) {
    const t = scalarText(qtypeE.value);
    const q = t === null || !/^[A-Za-z]+$/.test(t) ? undefined : typeFromName(t);
    if (
      q === undefined ||
      q === typeFromName('OPT') ||
      q === typeFromName('AXFR') ||
      q === typeFromName('IXFR')
    )
      src.report(
        qtypeE.value,
        qtypeE.path,
        C.badValue,
        `must be a record type such as A, AAAA, SOA or NS, got ${describe(qtypeE.value)}`,
      );
    else qtype = q;
  }
  return { name, qtype };
}

/** An http or https probe's request and what its response must be. */
export function compileHttpFields(src: Source, get: (k: string) => Entry | undefined): HttpFields {
  const pathE = get('path');
  let probePath = '/';
  if (pathE) {
    const t = scalarText(pathE.value);
    // RFC 9112 3.2.1: origin-form is an absolute path (and query); no spaces or controls.
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (t !== null && t.startsWith('/') && !/[\s\x00-\x1f\x7f]/.test(t)) probePath = t;
    else
      src.report(
        pathE.value,
        pathE.path,
        C.badValue,
        `must be a path starting with "/", without spaces, e.g. /health, got ${describe(pathE.value)}`,
      );
  }
  const methodE = get('method');
  let method: 'GET' | 'HEAD' = 'GET';
  if (methodE) {
    const t = scalarText(methodE.value);
    if (t === 'GET' || t === 'HEAD') method = t;
    else
      src.report(
        methodE.value,
        methodE.path,
        C.badValue,
        `must be GET or HEAD, got ${describe(methodE.value)}`,
      );
  }
  const expectE = get('expect');
  const expect = expectE ? parseExpect(src, expectE) : DEFAULT_EXPECT;
  const bodyE = get('body');
  let body: string | null = null;
  if (bodyE) {
    const t = isScalar(bodyE.value) ? scalarText(bodyE.value) : null;
    if (t === null || t === '')
      src.report(
        bodyE.value,
        bodyE.path,
        C.badValue,
        `must be the text the response body must contain, got ${describe(bodyE.value)}`,
      );
    else if (method === 'HEAD')
      src.report(
        bodyE.keyNode,
        bodyE.path,
        C.badValue,
        'a HEAD response has no body: "body" needs method GET',
      );
    else body = t;
  }
  const hostE = get('host');
  let host: string | null = null;
  if (hostE) {
    const t = scalarText(hostE.value);
    // RFC 9110 7.2: uri-host [ ":" port ]; names, IPv4, or a bracketed IPv6 address.
    if (
      t !== null &&
      /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/.test(
        t,
      )
    )
      host = t;
    else
      src.report(
        hostE.value,
        hostE.path,
        C.badValue,
        `must be a host name with an optional port, e.g. www.example.com, got ${describe(hostE.value)}`,
      );
  }
  const sniE = get('sni');
  let sni: string | null = null;
  if (sniE) {
    const t = scalarText(sniE.value);
    if (t !== null && isIP(t) !== 0)
      src.report(
        sniE.value,
        sniE.path,
        C.badValue,
        `must be a DNS name: RFC 6066 3 does not allow an IP address as the server name, got "${t}"`,
      );
    else if (
      t === null ||
      t === '' ||
      (checkName(t.replace(/\.$/, ''), false)?.ok ?? true) === false
    )
      src.report(
        sniE.value,
        sniE.path,
        C.badName,
        `must be a DNS name, got ${describe(sniE.value)}`,
      );
    else sni = t.replace(/\.$/, '');
  }
  const insecureE = get('insecure');
  const insecure = insecureE ? (scalarBool(src, insecureE.value, insecureE.path) ?? false) : false;
  return { path: probePath, method, expect, body, host, sni, insecure };
}

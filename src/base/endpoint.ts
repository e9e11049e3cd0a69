// A listening address as operators write it, for DNS (`listen:`, --listen) and the admin API
// (`admin.listen`, --admin). Below both users, so the config and the admin API share it without
// importing each other.
import { isIP } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * "127.0.0.1:53", "[::1]:53", "::1" (port 53), "0.0.0.0". Hosts are IP addresses (no name lookups
 * at start-up); the port is decimal digits, so "127.0.0.1:" or "127.0.0.1:0x35" are rejected.
 */
export function parseEndpoint(text: string, defaultPort = 53): Endpoint | null {
  const t = text.trim();
  let host = t;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(t);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) return null;
  } else if ((t.match(/:/g) ?? []).length === 1) {
    [host, portText] = t.split(':') as [string, string];
    if (isIP(host) !== 4) return null;
  } else if (isIP(host) === 0) return null;
  if (portText === undefined) return { host, port: defaultPort };
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  return port <= 65535 ? { host, port } : null;
}

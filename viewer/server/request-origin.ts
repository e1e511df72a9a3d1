// Which requests the viewer answers. The live sim accepts pushes and commands, so a web page
// on another origin must not reach it: the Host header must name this server (a DNS-rebinding
// page sends its own name), and an Origin header, when the browser sends one, must be this
// server's own. Anything else gets 403.
import { isIP } from 'node:net';
import { hostname } from 'node:os';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** The host names a request may use for a server bound to `host`. */
export function allowedHostNames(host: string): Set<string> {
  const bound = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const names = new Set<string>([bound.toLowerCase()]);
  const loopback = LOOPBACK_NAMES.includes(bound) || bound.startsWith('127.');
  if (loopback || WILDCARD_HOSTS.has(bound)) for (const n of LOOPBACK_NAMES) names.add(n);
  if (WILDCARD_HOSTS.has(bound)) names.add(hostname().toLowerCase());
  return names;
}

/** Split "name:port" / "[v6]:port"; null when malformed. */
function splitHostPort(value: string): { name: string; port: number } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(value.trim());
  return m ? { name: m[1].toLowerCase(), port: Number(m[2]) } : null;
}

function hostAllowed(name: string, allowed: Set<string>, wildcard: boolean): boolean {
  if (allowed.has(name)) return true;
  // Bound to every interface: any of the machine's addresses, given as an IP literal (no DNS name to rebind).
  return wildcard && isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

export interface OriginPolicy {
  allowed: Set<string>;
  port: number;
  wildcard: boolean;
}

export function originPolicy(host: string, port: number): OriginPolicy {
  return { allowed: allowedHostNames(host), port, wildcard: WILDCARD_HOSTS.has(host) };
}

/** Why a request must be refused (403), or null when it comes from this server's own page or a local tool. */
export function refusalReason(headers: { host?: string; origin?: string | string[] | undefined }, policy: OriginPolicy): string | null {
  const host = headers.host ? splitHostPort(headers.host) : null;
  if (!host || host.port !== policy.port || !hostAllowed(host.name, policy.allowed, policy.wildcard)) {
    return `Host '${headers.host ?? ''}' is not this viewer (expected ${[...policy.allowed][0]}:${policy.port})`;
  }
  const origin = headers.origin;
  if (origin === undefined) return null; // not a browser's cross-origin request (curl, scripts)
  if (typeof origin !== 'string' || origin.toLowerCase() !== `http://${headers.host!.toLowerCase()}`) return `Origin '${String(origin)}' is not this viewer's page`;
  return null;
}

// One way to open a Redis connection for every distributed piece (transport, sweeps): the URL
// names host, port, password (or ACL user:password) and TLS (`rediss://`); nothing else is
// contacted. Commands queue while the connection is down and ioredis reconnects with a capped
// backoff, so a Redis restart pauses the caller instead of failing it.
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisEndpoint {
  /** redis://[user:password@]host:port[/db] or rediss://... for TLS. */
  url: string;
  /** PEM file of the CA that signed the server's certificate (TLS with a private CA). */
  caFile?: string;
}

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/** Longest wait between reconnect attempts (ms). */
export const MAX_RECONNECT_DELAY_MS = 2000;

/** ioredis options for an endpoint; throws RedisUrlError naming what is wrong with the URL. */
export function redisOptions(endpoint: RedisEndpoint, extra: RedisOptions = {}): RedisOptions {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw new RedisUrlError(`--redis: '${endpoint.url}' is not a URL; expected redis://HOST:PORT or rediss://HOST:PORT`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RedisUrlError(`--redis: scheme '${url.protocol}' in '${endpoint.url}' is not redis: or rediss:`);
  }
  if (!url.hostname) throw new RedisUrlError(`--redis: '${endpoint.url}' names no host`);
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new RedisUrlError(`--redis: database '${dbText}' in '${endpoint.url}' is not a number`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const options: RedisOptions = {
    host,
    port,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    // RESP2: the reply shapes every Redis 6/7 server and this code agree on.
    protocol: 2,
    // Wait for the server instead of failing commands while it restarts.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS),
    connectionName: 'ballbot',
    ...extra,
  };
  if (url.protocol === 'rediss:') {
    options.tls = { servername: host, ...(endpoint.caFile ? { ca: readFileSync(endpoint.caFile) } : {}) };
  }
  return options;
}

/** A connected client (resolves once the first connection is ready or rejects on a bad password). */
export async function connectRedis(endpoint: RedisEndpoint, extra: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis({ ...redisOptions(endpoint, extra), lazyConnect: true });
  let lastError: Error | null = null;
  redis.on('error', (err: Error) => {
    // Retried by retryStrategy; kept to explain a failed first connection.
    lastError = err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const cause = (lastError as Error | null)?.message ?? (err as Error).message;
    throw new Error(`cannot use Redis at ${redactUrl(endpoint.url)}: ${cause}`);
  }
  return redis;
}

/** Fail fast, naming the server and the reason, when Redis cannot be reached or refuses us. */
export async function probeRedis(endpoint: RedisEndpoint): Promise<void> {
  (await connectRedis(endpoint)).disconnect();
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

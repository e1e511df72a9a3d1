// The viewer's HTTP server: the bundled page, the data of each source as JSON, live rollouts
// as server-sent events, and the raw files it was given (and nothing else).
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LiveMessage } from '../page/episode.js';
import { buildPage, type PageBundle } from './bundle.js';
import { readMetricsCsv } from './metrics.js';
import { originPolicy, refusalReason, type OriginPolicy } from './request-origin.js';
import { resolveServedFile } from './safe-path.js';
import { sourceInfo, type ViewerSource } from './sources.js';

export interface ViewerServerOptions {
  sources: ViewerSource[];
  host?: string;
  port?: number;
}

export interface ViewerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 4096;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function notFound(res: ServerResponse, what = 'not found'): void {
  sendJson(res, 404, { error: what });
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function num(value: unknown, name: string, limit: number): number {
  const n = typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(n) || Math.abs(n) > limit) throw new Error(`${name} must be a number within +-${limit}`);
  return n;
}

export async function startViewerServer(options: ViewerServerOptions): Promise<ViewerServer> {
  const { sources } = options;
  if (sources.length === 0) throw new Error('ballbot view: nothing to show');
  const page: PageBundle = await buildPage();

  const sourceAt = (raw: string | undefined): [number, ViewerSource] | null => {
    if (!raw || !/^\d{1,6}$/.test(raw)) return null;
    const id = Number(raw);
    return id < sources.length ? [id, sources[id]] : null;
  };

  let policy: OriginPolicy | null = null;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = policy ? refusalReason(req.headers, policy) : 'not listening yet';
    if (refused) return sendJson(res, 403, { error: refused });
    const rawPath = (req.url ?? '/').split('?')[0];
    const parts = rawPath.split('/').slice(1); // raw, still percent-encoded
    const method = req.method ?? 'GET';
    if (method === 'GET' && (rawPath === '/' || rawPath === '/index.html')) return send(res, 200, 'text/html; charset=utf-8', page.html);
    if (method === 'GET' && rawPath === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', page.js);
    if (method === 'GET' && rawPath === '/api/sources') return sendJson(res, 200, sources.map(sourceInfo));
    if (parts[0] === 'files' && method === 'GET') {
      const found = sourceAt(parts[1]);
      if (!found || found[1].kind === 'live') return notFound(res);
      const file = resolveServedFile(found[1].root, found[1].files, parts.slice(2));
      if (!file) return notFound(res, 'not one of the files this viewer serves');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-content-type-options': 'nosniff' });
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
      return;
    }
    if (parts[0] !== 'api' || parts.length < 3) return notFound(res);
    const found = sourceAt(parts[2]);
    if (!found) return notFound(res, 'no such source');
    const source = found[1];
    const route = `${method} ${parts[1]}${parts.length > 3 ? '/' + parts.slice(3).join('/') : ''}`;
    if (route === 'GET episode' && (source.kind === 'recording' || source.kind === 'mcap')) return sendJson(res, 200, source.episode);
    if (route === 'GET replay' && source.kind === 'mcap' && source.replay) return sendJson(res, 200, source.replay);
    if (route === 'GET metrics' && source.kind === 'run') return sendJson(res, 200, readMetricsCsv(source.metricsFile, source.name));
    if (source.kind !== 'live') return notFound(res);
    const live = source.live;
    if (route === 'GET live/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      const write = (m: LiveMessage) => res.write(`data: ${JSON.stringify(m)}\n\n`);
      write({ type: 'init', episode: live.snapshot() });
      const unsubscribe = live.subscribe(write);
      req.on('close', unsubscribe);
      return;
    }
    if (method !== 'POST') return notFound(res);
    const body = (await readBody(req)) as Record<string, unknown>;
    if (route === 'POST live/push') live.push(num(body.dvx, 'dvx', 5), num(body.dvy, 'dvy', 5));
    else if (route === 'POST live/command') live.setCommand(num(body.vx, 'vx', 3), num(body.vy, 'vy', 3), num(body.yawRate, 'yawRate', 5));
    else if (route === 'POST live/reset') live.reset();
    else return notFound(res);
    return sendJson(res, 200, { ok: true });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 400, { error: err.message });
      else res.destroy();
    });
  });
  // No route takes a websocket: an upgrade gets 403 when it comes from elsewhere, 404 otherwise.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const refused = policy ? refusalReason(req.headers, policy) : 'not listening yet';
    socket.end(refused ? 'HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n' : 'HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8765, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  policy = originPolicy(host, port);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sources) if (s.kind === 'live') s.live.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

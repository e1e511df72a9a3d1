// A real redis-server for tests: its own temp dir, a random loopback port, optional password
// and TLS (a throwaway self-signed certificate made with openssl), killed after. Restartable on
// the same port and data dir, so a test can check what survives a Redis restart.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServerOptions {
  password?: string;
  tls?: boolean;
  /** Append-only file with fsync on every write, so a restart keeps every acknowledged write. */
  appendOnly?: boolean;
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** PEM of the throwaway CA (the self-signed certificate itself) when tls is on. */
  caFile?: string;
  pid(): number;
  /** Stop with SIGTERM (a clean shutdown) and wait; `start()` brings it back on the same port and dir. */
  shutdown(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for redis-server to take). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** Start redis-server and resolve once it accepts connections (bounded by timeoutMs). */
export async function startRedisServer(opts: RedisServerOptions = {}, timeoutMs = 10_000): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-redis-'));
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'notice'];
  if (opts.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  if (opts.password) args.push('--requirepass', opts.password);
  let caFile: string | undefined;
  if (opts.tls) {
    const { cert, key } = makeCertificate(dir);
    caFile = cert;
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  let child: ChildProcess | null = null;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let log = '';
      const timer = setTimeout(() => fail(new Error(`redis-server did not become ready in ${timeoutMs} ms:\n${log}`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(err);
      };
      proc.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      proc.once('exit', (code) => fail(new Error(`redis-server exited (${code}) before ready:\n${log}`)));
    });

  const stopChild = async (signal: NodeJS.Signals) => {
    const proc = child as ChildProcess | null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  await launch();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  return {
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    port,
    dir,
    caFile,
    pid: () => (child as ChildProcess | null)?.pid ?? -1,
    shutdown: () => stopChild('SIGTERM'),
    start: launch,
    async restart() {
      await stopChild('SIGTERM');
      await launch();
    },
    async stop() {
      await stopChild('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The CA a TLS test client trusts. */
export function readCa(server: RedisServer): Buffer {
  if (!server.caFile) throw new Error('this redis-server runs without TLS');
  return readFileSync(server.caFile);
}

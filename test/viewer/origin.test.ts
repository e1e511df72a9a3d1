// Another web page must not drive the live sim: a foreign Host (DNS rebinding) or Origin gets
// 403 on every route and on a websocket upgrade, and the rollout is untouched; the viewer's
// own page and local tools (no Origin) still work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.js';
import { startLiveRollout, type LiveRollout } from '../../viewer/server/live.js';
import { livePolicy } from '../../viewer/server/live-controllers.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { allowedHostNames, originPolicy, refusalReason } from '../../viewer/server/request-origin.js';

let server: ViewerServer;
let live: LiveRollout;

before(async () => {
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  live = await startLiveRollout({ plantOptions: { robot, seed: 1, initTiltDeg: 0 }, controller: await livePolicy(undefined, robot), pushEverySeconds: 0 });
  server = await startViewerServer({ sources: [{ kind: 'live', name: 'lqr', live }], port: 0 });
});

after(async () => {
  await server?.close();
});

function send(path: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pushes = () => live.snapshot().events.filter((e) => e.kind === 'push').length;
const push = (headers: Record<string, string>) =>
  send('/api/live/0/push', 'POST', { 'content-type': 'application/json', ...headers }, JSON.stringify({ dvx: 0.5, dvy: 0 }));

test('a cross-origin or rebound-host POST is refused with 403 and does not push the sim', async () => {
  const own = `127.0.0.1:${server.port}`;
  const attempts: Record<string, string>[] = [
    { host: own, origin: 'http://evil.example' },
    { host: own, origin: 'null' },
    { host: own, origin: `http://localhost:${server.port}` }, // another origin, even if it is this machine
    { host: `evil.example:${server.port}` }, // DNS rebinding: the attacker's name resolves to 127.0.0.1
    { host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}` },
    { host: `127.0.0.1:${server.port + 1}` },
  ];
  for (const headers of attempts) {
    const r = await push(headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.match(JSON.parse(r.body).error, /Host|Origin/);
  }
  assert.equal(pushes(), 0, 'a refused request pushed the sim');
  const page = await push({ host: own, origin: `http://${own}` });
  assert.equal(page.status, 200, page.body);
  const tool = await push({ host: `localhost:${server.port}` }); // curl on this machine, no Origin
  assert.equal(tool.status, 200, tool.body);
  assert.equal(pushes(), 2);
});

test('reads from a rebound host are refused too; the page itself loads', async () => {
  assert.equal((await send('/api/sources', 'GET', { host: `evil.example:${server.port}` })).status, 403);
  assert.equal((await send('/', 'GET', { host: `127.0.0.1:${server.port}` })).status, 200);
  assert.equal((await send('/', 'GET', { host: `[::1]:${server.port}` })).status, 200);
});

function upgrade(headers: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
    socket.write(['GET /api/live/0/stream HTTP/1.1', ...headers, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n'));
  });
}

test('a websocket upgrade from another origin gets 403', async () => {
  assert.match(await upgrade([`Host: 127.0.0.1:${server.port}`, 'Origin: http://evil.example']), /^HTTP\/1\.1 403/);
  assert.match(await upgrade([`Host: evil.example:${server.port}`]), /^HTTP\/1\.1 403/);
  assert.match(await upgrade([`Host: 127.0.0.1:${server.port}`, `Origin: http://127.0.0.1:${server.port}`]), /^HTTP\/1\.1 404/);
});

test('host names allowed for loopback, a named host and every interface', () => {
  assert.deepEqual([...allowedHostNames('127.0.0.1')].sort(), ['127.0.0.1', '[::1]', 'localhost']);
  assert.deepEqual([...allowedHostNames('192.168.1.5')], ['192.168.1.5']);
  const any = originPolicy('0.0.0.0', 8765);
  assert.equal(refusalReason({ host: '10.0.0.7:8765' }, any), null, 'an IP literal of this machine');
  assert.match(refusalReason({ host: 'rebind.example:8765' }, any) ?? '', /not this viewer/);
});

test('ballbot view bound beyond loopback warns that anyone who can reach it can push the live sim', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'view', '--live', '--host', '0.0.0.0', '--port', '0', '--push-every', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/warning: bound to 0\.0\.0\.0/.test(stderr)) resolve();
    });
    child.on('exit', () => reject(new Error(`view exited before warning: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
  assert.match(stderr, /anyone who can reach port \d+ sees these files and can push the live sim/);
});

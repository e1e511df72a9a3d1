// What every command does with arguments it does not take: a usage error (exit 2) that names
// them, before any work starts. `sim --randomize FILE` loads and validates FILE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RANDOMIZATION_CONFIG } from '../../sim/config/paths.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ballbot-args-'));

function ballbot(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a stray positional argument is a usage error naming it, for every command that takes none', () => {
  const cases: string[][] = [
    ['sim', 'extra.yaml', '--seconds', '0.1'],
    ['train', '--task', 'pendulum', '--out', join(dir, 'never'), 'oops'],
    ['eval', '--controller', 'zero', 'oops'],
    ['export', '--run', join(dir, 'never'), '--out', join(dir, 'never.onnx'), 'oops'],
    ['deploy', '--controller', 'lqr', 'oops'],
    ['compare', 'oops'],
    ['hil', '--controller', 'lqr', '--virtual', 'oops'],
    ['virtual-robot', 'oops'],
  ];
  for (const args of cases) {
    const r = ballbot(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    const stray = args.find((a) => a === 'oops' || a === 'extra.yaml');
    assert.match(r.stderr, new RegExp(`unexpected argument '${stray!.replace('.', '\\.')}'`), args.join(' '));
  }
  const two = ballbot('sim', 'a', 'b');
  assert.match(two.stderr, /unexpected arguments 'a', 'b'/);
});

test('sim --randomize FILE validates FILE like every config and uses it', () => {
  const invalid = join(dir, 'bad-rand.yaml');
  writeFileSync(invalid, readFileSync(DEFAULT_RANDOMIZATION_CONFIG, 'utf8').replace(/friction: \[[^\]]*\]/, 'friction: [2, 1]'));
  const bad = ballbot('sim', '--randomize', invalid, '--seconds', '0.1', '--json');
  assert.equal(bad.code, 2, bad.stderr);
  assert.ok(bad.stderr.includes(invalid) && bad.stderr.includes('friction'), bad.stderr);

  const missing = ballbot('sim', '--randomize', join(dir, 'nope.yaml'), '--seconds', '0.1');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml.*cannot read/s);

  const good = ballbot('sim', '--randomize', DEFAULT_RANDOMIZATION_CONFIG, '--seconds', '0.1', '--json');
  assert.equal(good.code, 0, good.stderr);
  assert.equal(JSON.parse(good.stdout.trim().split('\n').pop()!).randomized, true);
  for (const args of [['--randomize', '--seconds', '0.1'], ['--seconds', '0.1', '--randomize']]) {
    const alone = ballbot('sim', ...args, '--json');
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(JSON.parse(alone.stdout.trim().split('\n').pop()!).randomized, true, args.join(' '));
  }
  const off = ballbot('sim', '--seconds', '0.1', '--json');
  assert.equal(JSON.parse(off.stdout.trim().split('\n').pop()!).randomized, false);
});

test('deploy --inject at or after --seconds can never fire: usage error naming it, before the link starts', () => {
  const r = ballbot('deploy', '--controller', 'lqr', '--arm', '--seconds', '1', '--inject', 'stale@0.5s', '--inject', 'nan@50s');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--inject 'nan@50s' can never fire: the run stops after --seconds 1/);
  assert.doesNotMatch(r.stderr, /stale@0\.5s/);
  const edge = ballbot('deploy', '--controller', 'lqr', '--arm', '--seconds', '2', '--inject', 'nan@2000ms');
  assert.match(edge.stderr, /'nan@2000ms' can never fire/);
});

test('malformed or never-firing --push, out-of-range seeds, empty --set values and flags that would be ignored are usage errors', () => {
  for (const [args, message] of [
    [['sim', '--push', '1.2.3:0.5,0'], /--push '1\.2\.3:0\.5,0' must look like S:VX,VY with numbers/],
    [['sim', '--push', '1:0.5,x'], /--push '1:0\.5,x'/],
    [['sim', '--seconds', '1', '--push', '5:0.5,0'], /--push '5:0\.5,0' can never happen: the episode stops after --seconds 1/],
    [['sim', '--seed', '1e300'], /--seed must be <= 4294967295/],
    [['sim', '--seed=-1'], /--seed must be >= 0/],
    [['eval', '--controller', 'zero', '--seed', '4294967296'], /--seed must be <= 4294967295/],
    [['train', '--task', 'pendulum', '--out', join(dir, 'never'), '--set', 'ppo.lr='], /override 'ppo\.lr=' has no value/],
    [['train', '--task', 'pendulum', '--out', join(dir, 'never'), '--set', '__proto__.polluted=1'], /'__proto__' is not allowed/],
    [['train', '--resume', join(dir, 'never'), '--algo', 'sac', '--task', 'balance'], /--resume continues with the run's own config; drop --algo, --task/],
    [['eval', '--controller', 'lqr', '--env', 'my-env.js'], /--env needs --run or --policy/],
    [['eval', '--controller', 'pid'], /--controller must be lqr or zero, got 'pid'/],
    [['sim', '--controller', 'zero', '--policy', 'p.onnx'], /--policy runs the policy; drop --controller zero/],
    [['view', 'run-dir', '--randomize', '--seed', '3'], /--seed, --randomize need --live/],
    [['deploy', '--controller', 'lqr', '--port', '/dev/ttyACM0'], /--port is for --link serial, not sim/],
    [['deploy', '--controller', 'lqr', '--link', 'serial', '--port', '/dev/x', '--ros2-config', 'r.yaml'], /--ros2-config is for --link ros2, not serial/],
  ] as const) {
    const r = ballbot(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

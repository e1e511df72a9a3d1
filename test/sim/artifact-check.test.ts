// The one artifact check, through the one loader and through every command that runs a
// policy: `ballbot sim`, `ballbot eval`, `ballbot deploy` and `ballbot view --live` refuse a
// 10-input, 2-output graph and another robot's policy with a non-zero exit and a message that
// names the file and what differs; a scaling above the motor rating and normalization that
// nothing applies are refused; recurrent state is carried and reset; the committed policy loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { ballbotCaller, PolicyMismatchError, type CallerCapabilities } from '../../sim/artifact-check.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadRobotConfig, robotIdentity } from '../../sim/config/robot.js';
import { OPTIONAL_METADATA_KEYS, readArtifactMetadata } from '../../sim/policy-artifact.js';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { writeCounterPolicy } from './counter-policy.js';

const { onnx } = onnxProto;
const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const COMMITTED = fileURLToPath(new URL('../../../policies/balance-default.onnx', import.meta.url));
const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const rate = robot.control.rateHz;
const dir = mkdtempSync(join(tmpdir(), 'ballbot-artifact-check-'));

/** Rewrite some metadata_props of an ONNX file (to make an artifact whose metadata lies about its graph). */
function withProps(file: string, props: Record<string, string>, name: string): string {
  const model = onnx.ModelProto.decode(readFileSync(file));
  const kept = (model.metadataProps ?? []).filter((p) => !(p.key! in props));
  model.metadataProps = [...kept, ...Object.entries(props).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }))];
  const out = join(dir, name);
  writeFileSync(out, onnx.ModelProto.encode(model).finish());
  return out;
}

const tenTwo = writeRandomPolicy({ robot, rateHz: rate, obsSize: 10, actSize: 2, dir });
const full = writeRandomPolicy({ robot, rateHz: rate, dir });
const tenTwoClaimingFull = withProps(tenTwo, {
  'ballbot.observation_layout': JSON.stringify(readArtifactMetadata(readFileSync(full), full).observationLayout),
  'ballbot.action_layout': JSON.stringify(readArtifactMetadata(readFileSync(full), full).actionLayout),
}, 'ten-two-claiming-full.onnx');
const otherRobot = writeRandomPolicy({ robot, rateHz: rate, dir, meta: { robotName: 'kugle-v1' } });
const huge = writeRandomPolicy({ robot, rateHz: rate, dir, meta: { actionScaling: { kind: 'torque_fraction', maxTorqueNm: 1e9 } } });
const unfolded = writeRandomPolicy({ robot, rateHz: rate, dir, meta: { normalization: { mean: new Array(15).fill(0), std: new Array(15).fill(1), clip: 10 } } });
const residual = writeRandomPolicy({ robot, rateHz: rate, dir, meta: { baseController: { kind: 'lqr', residualScale: 0.2, robotHash: robotIdentity(robot).hash } } });

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: '', timeout: 120_000 });
}

const COMMANDS: Record<string, (file: string) => string[]> = {
  sim: (f) => ['sim', '--policy', f, '--seconds', '0.2'],
  eval: (f) => ['eval', '--policy', f, '--episodes', '1', '--no-randomize'],
  deploy: (f) => ['deploy', '--policy', f, '--link', 'sim', '--seconds', '0.2'],
  view: (f) => ['view', '--live', '--policy', f, '--port', '0'],
};

function assertRefusedByCli(command: string, file: string, reason: RegExp) {
  const r = cli(COMMANDS[command](file));
  assert.notEqual(r.status, 0, `${command} ran ${file}: ${r.stdout}`);
  assert.ok(r.stderr.includes(file), `${command}: the message names the file:\n${r.stderr}`);
  assert.match(r.stderr, reason, `${command}:\n${r.stderr}`);
}

for (const command of Object.keys(COMMANDS)) {
  test(`ballbot ${command} refuses a 10-input, 2-output graph and another robot's policy`, () => {
    assertRefusedByCli(command, tenTwo, /input 'obs' layout: artifact has 10 entries/);
    assertRefusedByCli(command, otherRobot, /robot: artifact is for 'kugle-v1'/);
  });
}

async function refusedByLoader(file: string, caller: CallerCapabilities, reason: RegExp) {
  await assert.rejects(OnnxPolicy.load(file, caller), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.message, reason);
    return true;
  });
}

const CALLERS = [
  ballbotCaller('deploy', robot, rate),
  ballbotCaller('ballbot sim', robot, rate, { fixedFullScaleNm: robot.motor.maxTorque }),
  ballbotCaller('ballbot eval', robot, rate, { fixedFullScaleNm: robot.motor.maxTorque, recurrentState: false }),
  ballbotCaller('ballbot view --live', robot, rate),
];

test('metadata that claims 15 inputs and 3 actions for a 10-input, 2-output graph: the graph shapes decide', async () => {
  for (const caller of CALLERS) {
    await refusedByLoader(tenTwoClaimingFull, caller, /input 'obs': the graph's shape is \[N, 10\], the metadata says \[1, 15\]/);
    await refusedByLoader(tenTwoClaimingFull, caller, /action output 'action': the graph's shape is \[N, 2\], the metadata says \[1, 3\]/);
  }
  assertRefusedByCli('sim', tenTwoClaimingFull, /graph's shape is \[N, 10\]/);
});

test('an action scaling above the motor rating (1e9 N m) is refused', async () => {
  for (const caller of CALLERS) await refusedByLoader(huge, caller, /maxTorqueNm 1000000000 N m is above robot 'ballbot-s1' motor rating 1.98 N m/);
  assertRefusedByCli('deploy', huge, /above robot 'ballbot-s1' motor rating/);
});

test('a scaling other than the robot rating is refused where the caller always applies the rating', async () => {
  const weaker = writeRandomPolicy({ robot, rateHz: rate, dir, meta: { actionScaling: { kind: 'torque_fraction', maxTorqueNm: 1 } } });
  await refusedByLoader(weaker, CALLERS[1], /maxTorqueNm 1 N m, ballbot sim applies 1.98 N m/);
  const p = await OnnxPolicy.load(weaker, CALLERS[0]); // deploy scales by the artifact's own value
  assert.equal(p.maxTorqueNm, 1);
  p.close();
});

test('normalization outside the graph is refused: nothing applies it', async () => {
  for (const caller of CALLERS) await refusedByLoader(unfolded, caller, /normalization: the artifact keeps \{mean, std, clip\} outside the graph/);
});

test('a residual artifact loads where the base can be composed and is refused, naming the key, where it cannot', async () => {
  const p = await OnnxPolicy.load(residual, CALLERS[0]);
  p.close();
  await refusedByLoader(residual, { ...CALLERS[0], baseControllers: [] }, /'ballbot.base_controller': the artifact is a residual on base controller 'lqr'/);
});

test('malformed optional metadata names the key', () => {
  const bad = withProps(full, { [OPTIONAL_METADATA_KEYS.recurrentState]: '[{"input":"h"}]' }, 'bad-state.onnx');
  assert.throws(() => readArtifactMetadata(readFileSync(bad), bad), /bad-state.onnx: policy artifact metadata 'ballbot.recurrent_state' must be/);
});

test('the committed policies/balance-default.onnx loads unchanged for every caller', async () => {
  for (const caller of CALLERS) {
    const p = await OnnxPolicy.load(COMMITTED, caller);
    const out = new Float32Array(3);
    p.act(new Float32Array(15), out);
    assert.ok(out.every(Number.isFinite));
    p.close();
  }
});

test('the committed policies/velocity-default.onnx carries memory and history, and every caller that can carry state runs it', async () => {
  const file = fileURLToPath(new URL('../../../policies/velocity-default.onnx', import.meta.url));
  const meta = readArtifactMetadata(readFileSync(file), file);
  assert.deepEqual(meta.recurrentState?.map((s) => s.input), ['memory_in', 'history_in']);
  assert.equal(meta.task, 'velocity');
  for (const caller of CALLERS) {
    if (!caller.recurrentState) {
      await refusedByLoader(file, caller, /'ballbot.recurrent_state': the artifact carries hidden state/);
      continue;
    }
    const p = await OnnxPolicy.load(file, caller);
    const obs = new Float32Array(15), first = new Float32Array(3), later = new Float32Array(3);
    obs[2] = -1;
    obs[6] = 0.5; // a wheel turning: memory and history move
    p.act(obs, first);
    for (let k = 0; k < 20; k++) p.act(obs, later);
    assert.ok(first.every(Number.isFinite) && later.every(Number.isFinite));
    assert.notDeepEqual(Array.from(later), Array.from(first), 'the carried state changes the action');
    p.reset();
    p.act(obs, later);
    assert.deepEqual(Array.from(later), Array.from(first), 'reset forgets the state');
    p.close();
  }
});

test('recurrent state: carried tick to tick, zeroed by reset; refused where it cannot be carried or is not declared', async () => {
  const file = writeCounterPolicy(full, dir, { declareState: true });
  const p = await OnnxPolicy.load(file, CALLERS[0]);
  const obs = new Float32Array(15), out = new Float32Array(3);
  const seen: number[] = [];
  for (let k = 0; k < 3; k++) { p.act(obs, out); seen.push(out[0]); }
  p.reset();
  p.act(obs, out);
  seen.push(out[0]);
  assert.deepEqual(seen, [0, 1, 2, 0]);
  assert.deepEqual(Array.from(out), [0, 0, 0]);
  p.close();
  await refusedByLoader(file, CALLERS[2], /'ballbot.recurrent_state': the artifact carries hidden state, ballbot eval cannot carry it/);
  await refusedByLoader(writeCounterPolicy(full, dir, { declareState: false }), CALLERS[0], /graph input 'state_in' \[1, 4\] is not described by the metadata/);
});

// A perceptive PPO run through the real train() path: the terrain-perceptive task on the
// perception robot, envs on two worker threads (the height scan through shared buffers), the
// encoder learning (its weights move between iterations), the export with a named height_scan
// input described by the one layout function, and the end-of-run evaluation feeding it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath } from '../../sim/config/paths.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { perceptionArtifactInput } from '../../sim/perception/layout.js';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { loadRunPolicy } from '../../training/io/run-policy.js';
import { train } from '../../training/train.js';

let dir: string;
before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-perceptive-train-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('perceptive PPO run on worker threads: encoder trains, artifact takes obs and height_scan, evaluation feeds it', async () => {
  const robotFile = configPath('robot', 'ballbot-s1-perception.yaml');
  const config = parseTrainConfig({
    algo: 'ppo', task: 'terrain-perceptive', seed: 3, totalSteps: 128, numEnvs: 4, workers: 2, evalEpisodes: 2, checkpointEvery: 1,
    env: { robot: robotFile, randomize: true, residual: { scale: 0.5 } },
    network: { actor: [16], critic: [16], activation: 'elu', perception: { heightScan: { hidden: [8], features: 4 } } },
    ppo: { stepsPerEnv: 16, epochs: 1, numMinibatches: 1, initLogStd: -1.5 },
  }, 'test');
  const out = join(dir, 'run');
  const r = await train({ config, outDir: out, progress: false });
  assert.equal(r.iteration, 2);
  const first = loadRunPolicy(join(out, 'checkpoints', 'ckpt-0000001.json')).spec.encoders![0];
  const last = loadRunPolicy(out).spec.encoders![0];
  assert.equal(last.input, 'height_scan');
  assert.notDeepEqual(last.layers[0].weights, first.layers[0].weights, 'the update moves the encoder');
  const meta = readArtifactMetadata(readFileSync(r.policyFile!), r.policyFile!);
  assert.deepEqual(meta.inputs!.map((i) => i.name), ['obs', 'height_scan']);
  assert.deepEqual(meta.inputs![1], perceptionArtifactInput(loadRobotConfig(robotFile), 'height_scan'));
  assert.equal(meta.robotName, 'ballbot-s1-perception');
  assert.equal(r.eval!.episodes, 2);
});

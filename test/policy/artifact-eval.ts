// The exported file evaluated as `ballbot eval` runs it (one OnnxPolicy per env, its state zeroed
// at start) against the run's own end-of-run evaluation: the same episodes must score the same.
import assert from 'node:assert/strict';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { OBS_SIZE } from '../../sim/observation.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { evaluate } from '../../training/evaluate.js';
import { makeVecEnv } from '../../training/tasks.js';

export interface RunEvaluation { successRate: number; meanReturn: number; meanActionChange: number; trackingErrorMps?: number }

/** Evaluate `policyFile` on 3 velocity episodes of `seed`, assert it matches `runEval`; returns the loaded policies. */
export async function assertArtifactReproducesRunEval(policyFile: string, seed: number, runEval: RunEvaluation, checkTracking = true): Promise<OnnxPolicy[]> {
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const caller = ballbotCaller('test', robot, robot.control.rateHz);
  const onnx = await Promise.all(Array.from({ length: 3 }, () => OnnxPolicy.load(policyFile, caller)));
  for (const p of onnx) p.reset();
  const vec = await makeVecEnv({ task: 'velocity', options: { randomize: true } }, 3, seed, 0);
  const actions = new Float32Array(3 * 3);
  const viaOnnx = await evaluate(vec, (obs, n) => {
    for (let i = 0; i < n; i++) onnx[i].act(obs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE), actions.subarray(i * 3, (i + 1) * 3));
    return actions;
  }, seed).finally(() => vec.close());
  assert.equal(viaOnnx.successRate, runEval.successRate);
  assert.ok(Math.abs(viaOnnx.meanReturn - runEval.meanReturn) < 1e-2, `return ${viaOnnx.meanReturn} vs ${runEval.meanReturn}`);
  assert.ok(Math.abs(viaOnnx.meanActionChange - runEval.meanActionChange) < 1e-3, `action change ${viaOnnx.meanActionChange} vs ${runEval.meanActionChange}`);
  if (checkTracking) assert.ok(Math.abs((viaOnnx.trackingErrorMps ?? NaN) - (runEval.trackingErrorMps ?? NaN)) < 1e-3, `tracking ${viaOnnx.trackingErrorMps} vs ${runEval.trackingErrorMps}`);
  return onnx;
}

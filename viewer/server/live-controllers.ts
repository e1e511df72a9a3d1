// The controller of a live rollout: the LQR baseline or an ONNX policy, as the same deploy
// Policy the control loop runs, loaded through the one loader and artifact check.
import { LqrPolicy } from '../../deploy/lqr-policy.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import type { Policy } from '../../deploy/policy.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import type { RobotConfig } from '../../sim/config/robot.js';

/** The ONNX policy in `policyFile`, or the LQR baseline when none is given. */
export async function livePolicy(policyFile: string | undefined, robot: RobotConfig): Promise<Policy> {
  const rateHz = robot.control.rateHz;
  return policyFile ? OnnxPolicy.load(policyFile, ballbotCaller('ballbot view --live', robot, rateHz)) : LqrPolicy.create(robot, rateHz);
}

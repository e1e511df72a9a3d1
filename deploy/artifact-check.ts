// Refuse, before arming, a policy artifact that was made for something else: another
// observation layout, another control rate, another robot. The message lists every difference.
import { ACTION_LAYOUT, OBSERVATION_LAYOUT } from '../sim/observation.js';
import { ARTIFACT_FORMAT, type PolicyMetadata } from '../sim/policy-artifact.js';
import { robotIdentity, type RobotConfig } from '../sim/config/robot.js';

export class PolicyMismatchError extends Error {
  override name = 'PolicyMismatchError';
  constructor(readonly file: string, readonly differences: string[]) {
    super(`policy ${file} does not match the deploy config, refusing to arm:\n  - ${differences.join('\n  - ')}`);
  }
}

export interface DeployExpectation {
  rateHz: number;
  robot: RobotConfig;
  /** Input/output sizes the ONNX graph declares (checked against the layouts too). */
  graphInputSize?: number;
  graphOutputSize?: number;
}

const listDiff = (what: string, got: readonly string[], want: readonly string[]): string | null => {
  if (got.length === want.length && got.every((n, i) => n === want[i])) return null;
  if (got.length !== want.length) return `${what}: artifact has ${got.length} entries [${got.join(', ')}], deploy builds ${want.length} [${want.join(', ')}]`;
  const i = got.findIndex((n, k) => n !== want[k]);
  return `${what}: entry ${i} is '${got[i]}' in the artifact but '${want[i]}' in deploy`;
};

/** Every difference between the artifact and what deploy will feed it (empty = compatible). */
export function artifactDifferences(meta: PolicyMetadata, want: DeployExpectation): string[] {
  const out: string[] = [];
  if (meta.format !== ARTIFACT_FORMAT) out.push(`format: artifact is '${meta.format}', deploy reads '${ARTIFACT_FORMAT}'`);
  const obs = listDiff('observation layout', meta.observationLayout ?? [], OBSERVATION_LAYOUT);
  if (obs) out.push(obs);
  const act = listDiff('action layout', meta.actionLayout ?? [], ACTION_LAYOUT);
  if (act) out.push(act);
  if (want.graphInputSize !== undefined && want.graphInputSize !== OBSERVATION_LAYOUT.length) {
    out.push(`graph input 'obs' takes ${want.graphInputSize} values, deploy builds ${OBSERVATION_LAYOUT.length}`);
  }
  if (want.graphOutputSize !== undefined && want.graphOutputSize !== ACTION_LAYOUT.length) {
    out.push(`graph output 'action' has ${want.graphOutputSize} values, deploy drives ${ACTION_LAYOUT.length} wheels`);
  }
  if (!(meta.controlRateHz === want.rateHz)) out.push(`control rate: artifact trained at ${meta.controlRateHz} Hz, deploy runs at ${want.rateHz} Hz`);
  const id = robotIdentity(want.robot);
  if (meta.robotName !== id.name) out.push(`robot: artifact is for '${meta.robotName}', deploy drives '${id.name}'`);
  else if (meta.robotHash !== id.hash) out.push(`robot parameters: artifact hash ${meta.robotHash}, deploy robot '${id.name}' hash ${id.hash} (the robot config changed since training)`);
  const scaling = meta.actionScaling;
  if (!scaling || scaling.kind !== 'torque_fraction' || !(scaling.maxTorqueNm > 0)) {
    out.push(`action scaling: expected {kind: 'torque_fraction', maxTorqueNm > 0}, got ${JSON.stringify(scaling)}`);
  }
  return out;
}

export function assertArtifactMatches(file: string, meta: PolicyMetadata, want: DeployExpectation): void {
  const diffs = artifactDifferences(meta, want);
  if (diffs.length) throw new PolicyMismatchError(file, diffs);
}

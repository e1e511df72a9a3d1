// What PPO's learner and rollout actors exchange through a transport: the weights (flat
// parameters and the observation normalizers) and a rollout (per-row arrays with advantages
// already computed by the actor, plus raw observations for the learner's normalizers).
// Array sizes are checked on arrival, so an actor built from another config is refused
// with a message that names the array.
import type { PolicyWeights, Trajectory } from '../distributed/transport.js';
import type { PpoPolicy } from '../algorithms/ppo-policy.js';
import type { RolloutStorage } from '../storage/rollout-storage.js';
import type { RunningNormalizer } from '../storage/running-normalizer.js';
import type { FinishedEpisode, PpoRolloutCollector } from './ppo-rollout.js';

/** The normalizers whose statistics travel with the weights. */
export interface SharedNormalizers {
  obs: RunningNormalizer | null;
  priv: RunningNormalizer | null;
}

export function ppoWeights(version: number, theta: Float32Array, norms: SharedNormalizers): PolicyWeights {
  const arrays: Record<string, Float32Array> = { theta: theta.slice() };
  for (const [name, n] of [['obs', norms.obs], ['priv', norms.priv]] as const) {
    if (!n) continue;
    arrays[`${name}Mean`] = Float32Array.from(n.mean);
    arrays[`${name}Var`] = Float32Array.from(n.var);
    arrays[`${name}Count`] = Float32Array.of(n.count);
  }
  return { version, arrays };
}

/** Load published weights into an actor's policy and normalizers. */
export function applyPpoWeights(w: PolicyWeights, policy: PpoPolicy, norms: SharedNormalizers): void {
  const theta = w.arrays.theta;
  if (!theta || theta.length !== policy.values.length) {
    throw new Error(`weights version ${w.version}: ${theta?.length ?? 0} parameters, this actor's network has ${policy.values.length} (different network config?)`);
  }
  policy.values.set(theta);
  for (const [name, n] of [['obs', norms.obs], ['priv', norms.priv]] as const) {
    if (!n) continue;
    const mean = w.arrays[`${name}Mean`];
    const variance = w.arrays[`${name}Var`];
    const count = w.arrays[`${name}Count`];
    if (!mean || !variance || !count) throw new Error(`weights version ${w.version}: no ${name} normalizer (normalizeObs differs?)`);
    n.setState({ mean: Array.from(mean), var: Array.from(variance), count: count[0] });
  }
}

/** Per-row widths of the rollout arrays, by name. */
export function rolloutWidths(obsSize: number, privSize: number, actSize: number): Record<string, number> {
  const w: Record<string, number> = { obs: obsSize, actions: actSize, logProbs: 1, means: actSize, values: 1, advantages: 1, returns: 1, rawObs: obsSize };
  if (privSize) {
    w.criticObs = obsSize + privSize;
    w.rawPriv = privSize;
  }
  return w;
}

/** A collected rollout as a trajectory (copies: the arrays may be handed to another thread). */
export function rolloutTrajectory(actorId: string, policyVersion: number, storage: RolloutStorage, collector: PpoRolloutCollector, episodes: readonly FinishedEpisode[]): Trajectory {
  const arrays: Record<string, Float32Array> = {
    obs: storage.obs.slice(), actions: storage.actions.slice(), logProbs: storage.logProbs.slice(), means: storage.means.slice(),
    values: storage.values.slice(), advantages: storage.advantages.slice(), returns: storage.returns.slice(), rawObs: collector.rawObs!.slice(),
    episodeReturns: Float32Array.from(episodes, (e) => e.ret), episodeLengths: Float32Array.from(episodes, (e) => e.len),
  };
  if (storage.asymmetric) {
    arrays.criticObs = storage.criticObs.slice();
    arrays.rawPriv = collector.rawPriv!.slice();
  }
  return { actorId, policyVersion, envSteps: storage.size, arrays };
}

/** Throw if a trajectory's arrays do not have `envSteps` rows of the expected widths. */
export function checkTrajectory(t: Trajectory, widths: Record<string, number>): void {
  if (!Number.isInteger(t.envSteps) || t.envSteps <= 0) throw new Error(`trajectory from actor ${t.actorId}: envSteps ${t.envSteps} is not a positive integer`);
  for (const [name, width] of Object.entries(widths)) {
    const a = t.arrays[name];
    if (!a) throw new Error(`trajectory from actor ${t.actorId}: array '${name}' is missing (different network or normalizer config?)`);
    if (a.length !== t.envSteps * width) throw new Error(`trajectory from actor ${t.actorId}: array '${name}' has ${a.length} values, expected ${t.envSteps} rows x ${width} (different env or network config?)`);
  }
}

/** Copy the first `count` rows of a checked trajectory into the learner's storage from row `first`. */
export function copyTrajectoryRows(t: Trajectory, storage: RolloutStorage, first: number, count: number): void {
  const a = t.arrays;
  const od = storage.obsSize;
  const cd = storage.criticObsSize;
  const ad = storage.actSize;
  storage.obs.set(a.obs.subarray(0, count * od), first * od);
  if (storage.asymmetric) storage.criticObs.set(a.criticObs.subarray(0, count * cd), first * cd);
  storage.actions.set(a.actions.subarray(0, count * ad), first * ad);
  storage.means.set(a.means.subarray(0, count * ad), first * ad);
  storage.logProbs.set(a.logProbs.subarray(0, count), first);
  storage.values.set(a.values.subarray(0, count), first);
  storage.advantages.set(a.advantages.subarray(0, count), first);
  storage.returns.set(a.returns.subarray(0, count), first);
}

export function trajectoryEpisodes(t: Trajectory): FinishedEpisode[] {
  const r = t.arrays.episodeReturns ?? new Float32Array(0);
  const l = t.arrays.episodeLengths ?? new Float32Array(0);
  return Array.from(r, (ret, i) => ({ ret, len: l[i] }));
}

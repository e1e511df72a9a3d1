// Run identity and key names of one distributed training run in Redis. The learner writes the
// run's config and versions under the run key; an actor compares them with its own code before
// it pushes anything, and is refused with a message naming what differs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../sim/config/paths.js';

/** Keys of one run under a prefix (default `ballbot:train`), so several runs can share a Redis. */
export function runKeys(prefix: string) {
  return {
    run: `${prefix}:run`,
    trajectories: `${prefix}:trajectories`,
    group: 'learners',
    weights: `${prefix}:weights`,
    weightsChannel: `${prefix}:weights:published`,
    actorPrefix: `${prefix}:actor:`,
    learnerLock: `${prefix}:learner`,
  };
}
export type RunKeys = ReturnType<typeof runKeys>;

export const DEFAULT_RUN_PREFIX = 'ballbot:train';

/** What must agree between the learner and an actor. */
export interface RunIdentity {
  /** package.json version of the code. */
  packageVersion: string;
  /** Observation/action layout the runner feeds (names and sizes), hashed. */
  layoutHash: string;
  /** Hash of the resolved training config (canonical JSON). */
  configHash: string;
}

export interface RunRecord extends RunIdentity {
  /** The resolved training config, as JSON text. */
  config: string;
  startedAt: string;
}

let packageVersion: string | undefined;
export function currentPackageVersion(): string {
  packageVersion ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return packageVersion;
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The observation/action layout string the learner and its actors hash and compare: names where
 * the env gives them (ballbot: OBSERVATION_LAYOUT, ACTION_LAYOUT), sizes otherwise.
 */
export function observationActionLayout(obs: readonly string[] | number, act: readonly string[] | number): string {
  const part = (x: readonly string[] | number) => (typeof x === 'number' ? `size ${x}` : x.join(','));
  return `obs:${part(obs)};act:${part(act)}`;
}

/** The identity of a run from its config and the observation/action layout (e.g. `obs:gravity_x,...;act:wheel_torque_0,...`). */
export function runIdentity(config: unknown, layout: string): RunIdentity {
  return { packageVersion: currentPackageVersion(), layoutHash: shortHash(layout), configHash: shortHash(canonicalJson(config)) };
}

export class RunMismatchError extends Error {
  override name = 'RunMismatchError';
}

/**
 * Throws RunMismatchError naming each difference between the run in Redis and this actor. The
 * config is checked only when the actor brought one of its own (`expected.configHash`).
 */
export function checkRunIdentity(run: RunIdentity, mine: Omit<RunIdentity, 'configHash'> & { configHash?: string }, where: string): void {
  const problems: string[] = [];
  if (run.packageVersion !== mine.packageVersion) problems.push(`code version: the learner runs ballbot ${run.packageVersion}, this actor ${mine.packageVersion}`);
  if (run.layoutHash !== mine.layoutHash) problems.push(`observation/action layout: the learner's hashes to ${run.layoutHash}, this actor's to ${mine.layoutHash}`);
  if (mine.configHash !== undefined && run.configHash !== mine.configHash) problems.push(`config version: the learner's config hashes to ${run.configHash}, this actor's to ${mine.configHash}`);
  if (problems.length) throw new RunMismatchError(`refused to join the run at ${where}: ${problems.join('; ')}`);
}

/** The layout of an env's spaces, as the learner and each actor hash it. */
export function envLayout(spaces: { observationSpace: { shape: readonly [number]; names?: readonly string[] }; actionSpace: { shape: readonly [number]; names?: readonly string[] } }): string {
  const { observationSpace: o, actionSpace: a } = spaces;
  return observationActionLayout(o.names ?? o.shape[0], a.names ?? a.shape[0]);
}

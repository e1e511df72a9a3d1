// What system identification writes: the identified robot YAML and a randomization YAML
// centred on the estimates, each range two standard deviations wide on either side (at least
// MIN_HALF_WIDTH), the rest of the ranges from the randomization file it started from.
// Both are validated with their schemas before they are written, atomically.
import { stringify } from 'yaml';
import { atomicWriteFile } from '../common/atomic-write.js';
import { RandomizationSchema, type RandomizationConfig } from './config/randomization.js';
import { RobotConfigSchema, type RobotConfig } from './config/robot.js';
import type { Estimate } from './sysid.js';

/** Narrowest half-width of a proposed scale range (an estimate is never exact). */
const MIN_HALF_WIDTH = 0.02;
const SIGMAS = 2;

/** Randomization keys (multiplicative ranges around 1) of the identified parameters. */
const SCALE_KEY: Partial<Record<string, keyof RandomizationConfig>> = {
  bodyMass: 'bodyMassScale', comHeight: 'comHeightScale', inertia: 'inertiaScale', motorStrength: 'motorStrength',
  motorTimeConstant: 'motorTimeConstantScale', rollingDamping: 'rollingDampingScale', spinDamping: 'spinDampingScale',
};

export function proposeRandomization(base: RandomizationConfig, estimates: Estimate[]): RandomizationConfig {
  const out = structuredClone(base) as Record<string, unknown>;
  for (const e of estimates) {
    const key = SCALE_KEY[e.name];
    if (key) {
      const half = Math.max(MIN_HALF_WIDTH, (SIGMAS * e.std) / Math.abs(e.value || 1));
      out[key] = [round(Math.max(0.1, 1 - half)), round(1 + half)];
    } else if (e.name === 'latency') {
      // Extra latency is added on top of the robot's: [0, 2 sigma].
      out.actionLatencyS = [0, round(Math.min(0.05, SIGMAS * e.std))];
    }
  }
  return RandomizationSchema.parse(out);
}

const round = (x: number) => Number(x.toPrecision(4));

export function writeIdentified(robotFile: string, robot: RobotConfig, randomizationFile: string, randomization: RandomizationConfig, header: string): void {
  const checked = RobotConfigSchema.parse(robot);
  const comment = header.split('\n').map((l) => `# ${l}`).join('\n') + '\n';
  atomicWriteFile(robotFile, comment + stringify(checked));
  atomicWriteFile(randomizationFile, comment + stringify(RandomizationSchema.parse(randomization)));
}

// `--inject KIND@TIME[:ARG]`: faults made to happen at a time after the loop starts, for
// tests and demos. They are applied by decorating the link and the policy
// (deploy/fault-injection.ts); all work on any link except push, which needs the sim.
export type FaultKind = 'stale' | 'nan' | 'tilt' | 'push' | 'linkdown' | 'stall' | 'nan-action'
  | 'drop-depth' | 'drop-height-scan' | 'delay-depth' | 'delay-height-scan';

/** The perception input a perception fault acts on. */
export const PERCEPTION_FAULT_INPUT: Partial<Record<FaultKind, string>> = {
  'drop-depth': 'depth', 'delay-depth': 'depth', 'drop-height-scan': 'height_scan', 'delay-height-scan': 'height_scan',
};

export interface FaultSpec {
  kind: FaultKind;
  atS: number;
  /** push: velocity kick m/s; stall: extra compute per tick, ms; delay-*: extra frame delay, ms. */
  arg?: number;
}

export const FAULT_HELP: Record<FaultKind, string> = {
  stale: 'the robot stops delivering state (state goes stale)',
  nan: 'the gyro reports NaN from then on',
  tilt: 'the IMU reports the body tipped by sim.injectTiltDeg',
  push: 'push the body: push@T:MAG changes its velocity by MAG m/s along x',
  linkdown: 'the link reports itself down and goes silent',
  stall: 'the control step burns MS ms each tick from then on (stall@T:MS), to overrun deadlines',
  'nan-action': 'the policy output is replaced by NaN from then on',
  'drop-depth': 'no new depth frame arrives from then on (the last one ages)',
  'drop-height-scan': 'no new height-scan frame arrives from then on (the last one ages)',
  'delay-depth': 'depth frames arrive MS ms late from then on (delay-depth@T:MS; capture stamps unchanged)',
  'delay-height-scan': 'height-scan frames arrive MS ms late from then on (delay-height-scan@T:MS)',
};

/** Longest delay-* fault: the frames in flight must fit the decorator's ring (fault-injection.ts). */
export const MAX_FRAME_DELAY_MS = 1000;

const TIME = /^(\d+(?:\.\d+)?)(ms|s)?$/;

export function parseFault(text: string): FaultSpec {
  const m = /^([a-z-]+)@([^:]+)(?::(.+))?$/.exec(text.trim());
  const bad = (why: string) => new Error(`--inject '${text}': ${why}; expected KIND@TIME[:ARG] with KIND one of ${Object.keys(FAULT_HELP).join(', ')} and TIME like 5s or 500ms`);
  if (!m) throw bad('cannot parse');
  const kind = m[1] as FaultKind;
  if (!(kind in FAULT_HELP)) throw bad(`unknown fault '${m[1]}'`);
  const t = TIME.exec(m[2]);
  if (!t) throw bad(`bad time '${m[2]}'`);
  const atS = Number(t[1]) / (t[2] === 'ms' ? 1000 : 1);
  let arg: number | undefined;
  if (m[3] !== undefined) {
    arg = Number(m[3]);
    if (!Number.isFinite(arg)) throw bad(`argument '${m[3]}' is not a number`);
  }
  if (kind === 'push' && arg === undefined) throw bad('push needs a magnitude, e.g. push@5s:0.8');
  if ((kind === 'stall' || kind === 'delay-depth' || kind === 'delay-height-scan') && !(arg !== undefined && arg > 0)) {
    throw bad(`${kind} needs a positive duration in ms, e.g. ${kind}@5s:30`);
  }
  if ((kind === 'delay-depth' || kind === 'delay-height-scan') && arg! > MAX_FRAME_DELAY_MS) {
    throw bad(`${kind} delays frames by at most ${MAX_FRAME_DELAY_MS} ms (longer: use drop-${kind.slice(6)})`);
  }
  return { kind, atS, arg };
}

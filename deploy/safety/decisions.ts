// What a safety check decided, as data: the rule, the numbers it judged, and one sentence for
// people. The runtime latches the e-stop on any of these; telemetry, the summary and the serial
// ESTOP frame's reason code are all derived from the same value.
/** Why the e-stop latched. Every variant carries the values the rule judged. */
export type EstopReason =
  | { rule: 'staleState'; ageMs: number; limitMs: number }
  | { rule: 'linkHealth'; ok: boolean; silenceMs: number; limitMs: number; linkDetail: string | null }
  | { rule: 'robotFault'; flags: number }
  | { rule: 'nonFinite'; where: 'observation' | 'action' | `input ${string}`; index: number; value: number }
  | { rule: 'perceptionStale'; input: string; ageMs: number; holdMs: number }
  | { rule: 'tiltCutoff'; tiltDeg: number; limitDeg: number }
  | { rule: 'deadlineOverruns'; run: number; limit: number }
  | { rule: 'modeAgreement'; hostMode: string; robotMode: string; forMs: number; limitMs: number }
  | { rule: 'operator' | 'signal' | 'error'; text: string };

export type EstopRule = EstopReason['rule'];

/** Why an arm request could not be honoured (yet): a state check, or the arming tilt gate. */
export type ArmBlocker = EstopReason | { rule: 'armTilt'; tiltDeg: number; limitDeg: number };

/** Shaping rules: they limit the command and never latch. */
export type ShapingRule = 'actionClip' | 'slewRate' | 'armingRamp';

/** Every rule name that appears in events and counters. */
export type RuleName = EstopRule | ShapingRule | 'arm' | 'armTilt' | 'info';

const f1 = (v: number) => v.toFixed(1);

/** One sentence naming what was wrong, with the measured value and the limit. */
export function describeReason(r: ArmBlocker): string {
  switch (r.rule) {
    case 'staleState':
      return Number.isFinite(r.ageMs) ? `newest state is ${f1(r.ageMs)} ms old (limit ${r.limitMs} ms)` : `no state has arrived (limit ${r.limitMs} ms)`;
    case 'linkHealth':
      return r.ok ? `link silent for ${r.silenceMs.toFixed(0)} ms (limit ${r.limitMs} ms)` : `link unhealthy: ${r.linkDetail ?? 'not ok'}`;
    case 'robotFault':
      return `robot reports fault flags 0x${r.flags.toString(16)}`;
    case 'nonFinite':
      return `${r.where}[${r.index}] is ${r.value}`;
    case 'perceptionStale':
      return Number.isFinite(r.ageMs)
        ? `${r.input}: newest frame is ${f1(r.ageMs)} ms old (held at most ${f1(r.holdMs)} ms)`
        : `${r.input}: no frame has arrived`;
    case 'tiltCutoff':
      return `tilt ${f1(r.tiltDeg)} deg > ${f1(r.limitDeg)} deg`;
    case 'armTilt':
      return `tilt ${f1(r.tiltDeg)} deg > ${r.limitDeg} deg allowed for arming`;
    case 'deadlineOverruns':
      return `${r.run} consecutive ticks missed or overran (limit ${r.limit})`;
    case 'modeAgreement':
      return `host is ${r.hostMode} but the robot reports ${r.robotMode} for ${r.forMs.toFixed(0)} ms (limit ${r.limitMs} ms)`;
    case 'operator':
    case 'signal':
    case 'error':
      return r.text;
  }
}

/** "rule: sentence", the form used in logs, the summary and the ESTOP frame's text. */
export function reasonLine(r: ArmBlocker): string {
  return `${r.rule}: ${describeReason(r)}`;
}

// Excitation for system identification runs (`ballbot deploy --excite chirp|prbs[:AMPLITUDE]`):
// a small, bounded wheel-torque signal added to the controller's command before the safety
// layer, which still clips, rate-limits, ramps and e-stops as always. A balancing robot moves
// too little to show its dynamics above sensor noise; this makes it move.
//
//   chirp   per wheel A (0.75 sin(phi + 2 pi i / 3) + 0.25 sin(phi / 2)): a horizontal torque
//           that turns around the vertical (tilt, both axes) plus a common part (yaw), with
//           the frequency swept linearly from 0.5 to 4 Hz over 8 s, then again
//   prbs    per wheel +-A (0.75 of a tilt bit + 0.25 of a yaw bit): pseudo-random binary
//           sequences from 15-bit LFSRs, each bit held 50 ms (white up to about 10 Hz)
//
// |excitation| <= A on every wheel at every tick. A defaults to 0.3 N m and may be at most
// MAX_EXCITATION_FRACTION of the robot's motor torque.

export type ExcitationKind = 'chirp' | 'prbs';

export interface Excitation {
  readonly kind: ExcitationKind;
  readonly amplitudeNm: number;
  /** Add the excitation at time `tS` since the loop started to `torqueNm` (in place). */
  addTo(torqueNm: Float64Array, tS: number): void;
}

export const DEFAULT_EXCITATION_NM = 0.3;
export const MAX_EXCITATION_FRACTION = 0.5;
const CHIRP = { f0: 0.5, f1: 4, periodS: 8 };
const PRBS_HOLD_S = 0.05;
const PHASE = [0, (2 * Math.PI) / 3, (4 * Math.PI) / 3];

/** Parse `chirp`, `prbs`, `chirp:0.4` (amplitude in N m); the torque clip `maxTorqueNm` bounds the amplitude. */
export function parseExcitation(spec: string, maxTorqueNm: number): Excitation {
  const [kind, amp, extra] = spec.split(':');
  if (extra !== undefined || (kind !== 'chirp' && kind !== 'prbs')) {
    throw new Error(`--excite must be chirp or prbs, optionally with :AMPLITUDE in N m (e.g. chirp:0.3), got '${spec}'`);
  }
  const amplitude = amp === undefined ? DEFAULT_EXCITATION_NM : Number(amp);
  const limit = MAX_EXCITATION_FRACTION * maxTorqueNm;
  if (!(amplitude > 0 && amplitude <= limit)) {
    throw new Error(`--excite ${spec}: the amplitude must be a number in (0, ${limit.toFixed(2)}] N m (half the ${maxTorqueNm} N m torque clip)`);
  }
  return kind === 'chirp' ? chirp(amplitude) : prbs(amplitude);
}

function chirp(a: number): Excitation {
  const k = (CHIRP.f1 - CHIRP.f0) / CHIRP.periodS;
  return {
    kind: 'chirp', amplitudeNm: a,
    addTo(torque, tS) {
      const t = tS % CHIRP.periodS;
      const phi = 2 * Math.PI * (CHIRP.f0 * t + 0.5 * k * t * t);
      const yaw = 0.25 * Math.sin(phi / 2);
      for (let i = 0; i < 3; i++) torque[i] += a * (0.75 * Math.sin(phi + PHASE[i]) + yaw);
    },
  };
}

/** 15-bit maximal-length LFSR (x^15 + x^14 + 1): bit n of the sequence started from `seed`. */
function lfsrBits(seed: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  let s = seed & 0x7fff || 1;
  for (let n = 0; n < count; n++) {
    const bit = ((s >> 14) ^ (s >> 13)) & 1;
    s = ((s << 1) | bit) & 0x7fff;
    out[n] = bit;
  }
  return out;
}

function prbs(a: number): Excitation {
  const N = 32767;
  const tilt = [lfsrBits(0x1234, N), lfsrBits(0x2d1b, N), lfsrBits(0x5a5a, N)];
  const yaw = lfsrBits(0x0f0f, N);
  return {
    kind: 'prbs', amplitudeNm: a,
    addTo(torque, tS) {
      const n = Math.floor(tS / PRBS_HOLD_S) % N;
      const y = yaw[n] ? 0.25 : -0.25;
      for (let i = 0; i < 3; i++) torque[i] += a * ((tilt[i][n] ? 0.75 : -0.75) + y);
    },
  };
}

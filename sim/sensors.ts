// Sensor models: the IMU (attitude filter output and gyro) and wheel encoders, with
// noise, bias, mounting misalignment, latency and quantization. The robot records the
// true state every physics substep; `read` returns what the sensors report now.
import type { RobotConfig } from './config/robot.js';
import type { EpisodeParams } from './episode-params.js';
import { quatMultiply, quatNormalize, rotateInverse } from './math3.js';
import type { SensorState } from './observation.js';
import type { Rng } from './rng.js';

const SLOT = 10; // quaternion (4), gyro (3), wheel angles (3)

export class SensorModel {
  readonly state: SensorState = {
    orientation: new Float64Array(4),
    gyro: new Float64Array(3),
    wheelVelocity: new Float64Array(3),
  };
  private readonly ring: Float64Array;
  private head = 0;
  private filled = 0;
  private readonly lastWheelAngle = new Float64Array(3);
  private readonly tmp = new Float64Array(4);
  private readonly noiseQ = new Float64Array(4);

  constructor(readonly maxDelaySteps: number) {
    this.ring = new Float64Array(SLOT * (maxDelaySteps + 1));
  }

  reset(): void {
    this.ring.fill(0);
    this.filled = 0;
    this.lastWheelAngle.fill(0);
  }

  /** Record the true state after a physics substep. */
  record(orientation: ArrayLike<number>, gyroBody: ArrayLike<number>, wheelAngle: ArrayLike<number>): void {
    const slots = this.maxDelaySteps + 1;
    this.head = (this.head + 1) % slots;
    const o = SLOT * this.head;
    const r = this.ring;
    r[o] = orientation[0]; r[o + 1] = orientation[1]; r[o + 2] = orientation[2]; r[o + 3] = orientation[3];
    r[o + 4] = gyroBody[0]; r[o + 5] = gyroBody[1]; r[o + 6] = gyroBody[2];
    r[o + 7] = wheelAngle[0]; r[o + 8] = wheelAngle[1]; r[o + 9] = wheelAngle[2];
    if (this.filled < slots) this.filled++;
  }

  /** Restart the encoder differencing (after a reset, so the first velocity is not a jump). */
  primeEncoders(): void {
    const o = SLOT * this.head;
    for (let i = 0; i < 3; i++) this.lastWheelAngle[i] = this.ring[o + 7 + i];
  }

  private slotAgo(steps: number): number {
    const slots = this.maxDelaySteps + 1;
    const k = Math.min(steps, this.filled - 1, this.maxDelaySteps);
    return SLOT * ((this.head - Math.max(0, k) + slots) % slots);
  }

  /**
   * Sample the sensors. `elapsed` is the time since the previous read (the encoder
   * velocity is the count difference over it, as firmware computes it).
   */
  read(robot: RobotConfig, p: EpisodeParams, rng: Rng, elapsed: number, physicsDt: number): SensorState {
    const imu = robot.sensors.imu;
    const enc = robot.sensors.encoder;
    const r = this.ring;
    const s = this.state;
    const noise = p.sensorNoiseScale;

    // IMU: attitude and gyro seen through the mounting rotation, with noise and bias.
    const io = this.slotAgo(Math.round(imu.latency / physicsDt));
    const q = this.tmp;
    q[0] = r[io]; q[1] = r[io + 1]; q[2] = r[io + 2]; q[3] = r[io + 3];
    const orientation = s.orientation as Float64Array;
    quatMultiply(q, p.imuMisalignment, orientation);
    const tiltNoise = imu.gravityNoise * noise;
    if (tiltNoise > 0) {
      // Small random tilt error of the attitude filter (about the IMU's x and y axes).
      const ax = 0.5 * tiltNoise * rng.normal(), ay = 0.5 * tiltNoise * rng.normal();
      const nq = this.noiseQ;
      nq[0] = ax; nq[1] = ay; nq[2] = 0; nq[3] = 1;
      quatNormalize(nq);
      quatMultiply(orientation, nq, orientation);
    }
    const gyro = s.gyro as Float64Array;
    gyro[0] = r[io + 4]; gyro[1] = r[io + 5]; gyro[2] = r[io + 6];
    rotateInverse(p.imuMisalignment, gyro, gyro);
    const lsb = imu.gyroQuantization;
    for (let i = 0; i < 3; i++) {
      let g = gyro[i] + p.gyroBias[i] + imu.gyroNoise * noise * rng.normal();
      if (lsb > 0) g = Math.round(g / lsb) * lsb;
      gyro[i] = g;
    }

    // Encoders: count difference over the read interval, plus noise.
    const eo = this.slotAgo(Math.round(enc.latency / physicsDt));
    const wheel = s.wheelVelocity as Float64Array;
    const countsPerRad = enc.countsPerRev / (2 * Math.PI);
    for (let i = 0; i < 3; i++) {
      const angle = r[eo + 7 + i];
      let delta = angle - this.lastWheelAngle[i];
      if (countsPerRad > 0) delta = (Math.floor(angle * countsPerRad) - Math.floor(this.lastWheelAngle[i] * countsPerRad)) / countsPerRad;
      this.lastWheelAngle[i] = angle;
      wheel[i] = (elapsed > 0 ? delta / elapsed : 0) + enc.velocityNoise * noise * rng.normal();
    }
    return s;
  }
}

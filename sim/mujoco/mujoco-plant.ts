// The ballbot in MuJoCo (mujoco-js, the official WebAssembly build) with the same actuation
// and sensing code as the Rapier plant: sim/motor.ts (latency, lag, back-EMF, friction),
// sim/kinematics.ts (ideal omniwheels), sim/sensors.ts (noise, latency, quantization). Only
// the rigid-body physics and the contact differ, which is what a sim2sim check is for.
import loadMujoco, { type MainModule, type MjData, type MjModel } from 'mujoco-js';
import type { RobotConfig } from '../config/robot.js';
import { substepsPerControl } from '../config/robot.js';
import type { EpisodeParams } from '../episode-params.js';
import { ballTorqueFromWheels, omniwheelJacobian, wheelSpeedsFromRelative } from '../kinematics.js';
import { rotate, rotateInverse } from '../math3.js';
import { episodeMotorParams, MotorBank, type MotorParams } from '../motor.js';
import type { SensorState } from '../observation.js';
import type { Rng } from '../rng.js';
import { SensorModel } from '../sensors.js';
import { WheelContact } from '../wheel-contact.js';
import { ballbotMjcf } from './ballbot-mjcf.js';

let mujoco: Promise<MainModule> | null = null;
let modelCount = 0;

const BALL = 1, BODY = 2; // body ids: 0 is the world
const MAX_LATENCY_S = 0.06;

export class MujocoBallbot {
  private readonly substeps: number;
  private readonly J: Float64Array;
  private readonly motors: MotorBank;
  private readonly sensorModel: SensorModel;
  private readonly command = new Float64Array(3);
  private readonly wheelSpeed = new Float64Array(3);
  private readonly wheelTorque = new Float64Array(3);
  private readonly wheelAngle = new Float64Array(3);
  private readonly q = new Float64Array(4);
  private readonly wBody = new Float64Array(3);
  private readonly wBall = new Float64Array(3);
  private readonly v = new Float64Array(3);
  private readonly tau = new Float64Array(3);
  private readonly pendingPush = new Float64Array(2);
  private readonly motorParams: MotorParams;
  private readonly contact: WheelContact | null;
  private lastSensorTime = 0;
  private steps = 0;

  private constructor(
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    readonly robot: RobotConfig,
    readonly params: EpisodeParams,
    private readonly rng: Rng,
  ) {
    this.substeps = substepsPerControl(robot);
    this.J = omniwheelJacobian(robot, params.ballRadius);
    const maxDelay = Math.ceil(MAX_LATENCY_S / robot.control.physicsDt);
    this.motors = new MotorBank(maxDelay);
    this.contact = params.drive === 'traction' ? new WheelContact(robot, params) : null;
    this.sensorModel = new SensorModel(maxDelay);
    this.motorParams = episodeMotorParams(robot, params, robot.control.physicsDt);
  }

  static async create(robot: RobotConfig, params: EpisodeParams, rng: Rng): Promise<MujocoBallbot> {
    mujoco ??= loadMujoco();
    const mj = await mujoco;
    const file = `/ballbot-${process.pid}-${modelCount++}.xml`;
    mj.FS.writeFile(file, ballbotMjcf(robot, params));
    let model: MjModel;
    try {
      model = mj.MjModel.loadFromXML(file);
    } finally {
      mj.FS.unlink(file);
    }
    if (!model) throw new Error('MuJoCo refused the generated ballbot model');
    return new MujocoBallbot(mj, model, new mj.MjData(model), robot, params, rng);
  }

  get timeS(): number { return this.steps * this.robot.control.physicsDt; }

  /** At rest at the origin with the body at attitude `bodyQ` (x, y, z, w). */
  place(bodyQ: ArrayLike<number>): void {
    const d = this.data;
    this.mj.mj_resetData(this.model, d);
    d.qpos[2] = this.params.ballRadius;
    d.qpos[3] = 1; d.qpos[4] = 0; d.qpos[5] = 0; d.qpos[6] = 0;
    // Ball joint quaternion relative to the ball (identity at start), MuJoCo order w, x, y, z.
    d.qpos[7] = bodyQ[3]; d.qpos[8] = bodyQ[0]; d.qpos[9] = bodyQ[1]; d.qpos[10] = bodyQ[2];
    this.mj.mj_forward(this.model, d);
    this.command.fill(0);
    this.motors.reset();
    this.sensorModel.reset();
    this.wheelAngle.fill(0);
    this.wheelSpeed.fill(0);
    this.steps = 0;
    this.lastSensorTime = 0;
    this.readState();
    this.record();
    this.sensorModel.primeEncoders();
  }

  applyCommand(torquesNm: ArrayLike<number>): void {
    for (let i = 0; i < 3; i++) this.command[i] = torquesNm[i] * this.params.motorGain;
  }

  /** Kick the body's centre of mass by (dvx, dvy) m/s (an impulse over the next physics step). */
  push(dvx: number, dvy: number): void {
    this.pendingPush[0] = dvx; this.pendingPush[1] = dvy;
  }

  stepControl(): void {
    const d = this.data, p = this.params, dt = this.robot.control.physicsDt;
    for (let s = 0; s < this.substeps; s++) {
      const w = this.v;
      for (let i = 0; i < 3; i++) w[i] = this.wBall[i] - this.wBody[i];
      rotateInverse(this.q, w, w);
      wheelSpeedsFromRelative(this.J, w, this.wheelSpeed);
      this.motors.step(this.motorParams, this.command, this.wheelSpeed, dt, this.wheelTorque);
      this.contact?.limitTraction(this.wheelTorque);
      ballTorqueFromWheels(this.J, this.wheelTorque, this.tau);
      this.contact?.addRollerTorque(w, this.tau);
      rotate(this.q, this.tau, this.tau);
      const f = d.xfrc_applied;
      for (let i = 0; i < 6; i++) { f[6 * BALL + i] = 0; f[6 * BODY + i] = 0; }
      f[6 * BALL + 3] = this.tau[0] - p.rollingDamping * this.wBall[0];
      f[6 * BALL + 4] = this.tau[1] - p.rollingDamping * this.wBall[1];
      f[6 * BALL + 5] = this.tau[2] - p.spinDamping * this.wBall[2];
      f[6 * BODY + 3] = -this.tau[0]; f[6 * BODY + 4] = -this.tau[1]; f[6 * BODY + 5] = -this.tau[2];
      if (this.pendingPush[0] || this.pendingPush[1]) {
        f[6 * BODY] = (p.bodyMass * this.pendingPush[0]) / dt;
        f[6 * BODY + 1] = (p.bodyMass * this.pendingPush[1]) / dt;
        this.pendingPush.fill(0);
      }
      this.mj.mj_step(this.model, d);
      // mj_step leaves the derived quantities at the pre-step state: refresh attitude and velocities.
      this.mj.mj_kinematics(this.model, d);
      this.mj.mj_comPos(this.model, d);
      this.mj.mj_comVel(this.model, d);
      for (let i = 0; i < 3; i++) this.wheelAngle[i] += this.wheelSpeed[i] * dt;
      this.steps++;
      this.readState();
      this.record();
    }
  }

  sensors(): SensorState {
    const elapsed = this.timeS - this.lastSensorTime;
    this.lastSensorTime = this.timeS;
    return this.sensorModel.read(this.robot, this.params, this.rng, elapsed, this.robot.control.physicsDt);
  }

  /** Tilt of the body axis from vertical, rad. */
  tiltRad(): number {
    this.readState();
    const c = 1 - 2 * (this.q[0] * this.q[0] + this.q[1] * this.q[1]);
    return Math.acos(Math.min(1, Math.max(-1, c)));
  }

  close(): void {
    this.data.delete();
    this.model.delete();
  }

  private record(): void {
    rotateInverse(this.q, this.wBody, this.v);
    this.sensorModel.record(this.q, this.v, this.wheelAngle);
  }

  /** Body attitude (x, y, z, w) and world angular velocities of ball and body. */
  private readState(): void {
    const d = this.data;
    const xq = d.xquat, cv = d.cvel;
    this.q[0] = xq[4 * BODY + 1]; this.q[1] = xq[4 * BODY + 2]; this.q[2] = xq[4 * BODY + 3]; this.q[3] = xq[4 * BODY];
    for (let i = 0; i < 3; i++) { this.wBody[i] = cv[6 * BODY + i]; this.wBall[i] = cv[6 * BALL + i]; }
  }
}

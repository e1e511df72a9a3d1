// One ballbot inside a Rapier world: a ball rolling on the ground and a body joined to it
// by a spherical joint at the ball centre. The three omniwheels are ideal: their torques
// act through the omniwheel Jacobian as equal and opposite torques on ball and body
// (Rapier has no anisotropic friction to model rollers). Rolling and spinning resistance
// are damping torques on the ball. All per-step work is allocation-free.
import type RAPIER from '@dimforge/rapier3d-compat';
import type { RobotConfig } from './config/robot.js';
import type { EpisodeParams } from './episode-params.js';
import { ballTorqueFromWheels, omniwheelJacobian, wheelSpeedsFromRelative } from './kinematics.js';
import { quatFromAxisAngle, quatMultiply, rotate, rotateInverse } from './math3.js';
import { episodeMotorParams, MotorBank, type MotorParams } from './motor.js';
import type { PlantTruth } from './plant-api.js';
import { SensorModel } from './sensors.js';
import { WheelContact } from './wheel-contact.js';
import type { Rapier } from './rapier.js';
import type { Rng } from './rng.js';
import { terrainHeightAt, type Terrain } from './terrain.js';

/**
 * Collision groups, packed (membership << 16) | filter. Many robots share a World and
 * may overlap in space: a robot never touches another robot, only the flat slab (bit 0)
 * and the terrain patches of its own class (bits 1..14). Robots of the same class are
 * placed far apart (see world.ts), so each touches only its own terrain.
 */
const ROBOT_BIT = 1 << 15;
const SLAB_BIT = 1;
export const TERRAIN_CLASSES = 14;
const classBit = (terrainClass: number) => 1 << (1 + (terrainClass % TERRAIN_CLASSES));
export const SLAB_GROUPS = (SLAB_BIT << 16) | ROBOT_BIT;
const robotGroups = (terrainClass: number) => (ROBOT_BIT << 16) | SLAB_BIT | classBit(terrainClass);
const terrainGroups = (terrainClass: number) => (classBit(terrainClass) << 16) | ROBOT_BIT;

/** Longest latency the delay lines hold, s. */
const MAX_LATENCY_S = 0.06;

export class RobotSim {
  readonly ball: RAPIER.RigidBody;
  readonly body: RAPIER.RigidBody;
  private readonly ballCollider: RAPIER.Collider;
  private terrainBody: RAPIER.RigidBody | null = null;
  terrain: Terrain | null = null;
  /** This robot's terrain collider, for sensor ray casts (null on the flat slab). */
  terrainCollider: RAPIER.Collider | null = null;

  params!: EpisodeParams;
  /** Derived from `params` in setParams, read every substep. */
  private motorParams!: MotorParams;
  private J!: Float64Array;
  /** Motor torque command (N m), held between control steps. */
  readonly command = new Float64Array(3);
  /** Command actually entering the motors this substep (jitter delays a new command). */
  private readonly activeCommand = new Float64Array(3);
  private jitterSubsteps = 0;
  readonly motors: MotorBank;
  private readonly primeCommand = new Float64Array(3);
  /** Friction-limited wheel contact, when the robot's drive model is `traction`. */
  contact: WheelContact | null = null;
  readonly sensors: SensorModel;
  readonly wheelSpeed = new Float64Array(3);
  readonly wheelTorque = new Float64Array(3);
  readonly wheelAngle = new Float64Array(3);
  /** Physics substeps since reset; time is derived from it so it never drifts. */
  private substepCount = 0;
  get timeS(): number {
    return this.substepCount * this.physicsDt;
  }

  // Scratch buffers (reused every step; Rapier getters fill these instead of allocating).
  private readonly q = new Float64Array(4);
  private readonly v = new Float64Array(3);
  private readonly wBall = new Float64Array(3);
  private readonly wBody = new Float64Array(3);
  private readonly tau = new Float64Array(3);
  private readonly rq = { x: 0, y: 0, z: 0, w: 1 };
  private readonly rv = { x: 0, y: 0, z: 0 };
  private readonly rv2 = { x: 0, y: 0, z: 0 };
  private readonly torqueBall = { x: 0, y: 0, z: 0 };
  private readonly torqueBody = { x: 0, y: 0, z: 0 };
  /** q, wBody, wBall hold the current state (read after the last substep). */
  private stateFresh = false;

  constructor(
    private readonly R: Rapier,
    private readonly world: RAPIER.World,
    readonly robot: RobotConfig,
    /** Where this robot's patch of the world is centred (robots share one World). */
    readonly originX: number,
    readonly originY: number,
    readonly physicsDt: number,
    /** Which terrain collision class this robot uses (robots of one class are kept apart). */
    private readonly terrainClass: number,
  ) {
    const maxDelay = Math.ceil(MAX_LATENCY_S / physicsDt);
    this.motors = new MotorBank(maxDelay);
    this.sensors = new SensorModel(maxDelay);
    const r = robot.ball.radius;
    this.ball = world.createRigidBody(
      R.RigidBodyDesc.dynamic().setTranslation(originX, originY, r).setCanSleep(false),
    );
    // Density 0: mass and inertia come only from setAdditionalMassProperties (exact values).
    this.ballCollider = world.createCollider(
      R.ColliderDesc.ball(r)
        .setDensity(0)
        .setFriction(robot.ball.friction)
        .setFrictionCombineRule(R.CoefficientCombineRule.Multiply)
        .setRestitution(0)
        .setCollisionGroups(robotGroups(terrainClass)),
      this.ball,
    );
    this.body = world.createRigidBody(
      R.RigidBodyDesc.dynamic().setTranslation(originX, originY, r).setCanSleep(false),
    );
    world.createImpulseJoint(R.JointData.spherical({ x: 0, y: 0, z: 0 }, { x: 0, y: 0, z: 0 }), this.ball, this.body, true);
  }

  /** Install an episode's physical parameters (mass, inertia, radius, friction, ...). */
  setParams(p: EpisodeParams): void {
    this.params = p;
    this.motorParams = episodeMotorParams(this.robot, p, this.physicsDt);
    this.J = omniwheelJacobian(this.robot, p.ballRadius);
    this.contact = p.drive === 'traction' ? new WheelContact(this.robot, p) : null;
    const I = p.ballInertia;
    this.ball.setAdditionalMassProperties(p.ballMass, { x: 0, y: 0, z: 0 }, { x: I, y: I, z: I }, { x: 0, y: 0, z: 0, w: 1 }, true);
    this.ballCollider.setRadius(p.ballRadius);
    this.ballCollider.setFriction(p.friction);
    const c = p.comOffset, In = p.bodyInertia;
    this.body.setAdditionalMassProperties(p.bodyMass, { x: c[0], y: c[1], z: c[2] }, { x: In[0], y: In[1], z: In[2] }, { x: 0, y: 0, z: 0, w: 1 }, true);
  }

  /** Replace this robot's terrain (null = the shared flat ground). */
  setTerrain(terrain: Terrain | null): void {
    if (this.terrainBody) this.world.removeRigidBody(this.terrainBody);
    this.terrainBody = null;
    this.terrainCollider = null;
    this.terrain = terrain;
    if (!terrain) return;
    const R = this.R;
    const n = terrain.cells + 1;
    // Rapier heightfields are Y-up with heights in column-major (row i along local z, column
    // j along local x). A +90 deg rotation about x maps local y to world z and local z to
    // world -y, so row i holds world y = (0.5 - i / cells) * size.
    const h = new Float32Array(n * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) h[i + j * n] = terrain.heights[(terrain.cells - i) * n + j];
    const s = Math.SQRT1_2;
    this.terrainBody = this.world.createRigidBody(
      R.RigidBodyDesc.fixed().setTranslation(this.originX, this.originY, 0).setRotation({ x: s, y: 0, z: 0, w: s }),
    );
    this.terrainCollider = this.world.createCollider(
      R.ColliderDesc.heightfield(terrain.cells, terrain.cells, h, { x: terrain.size, y: 1, z: terrain.size })
        .setFriction(1)
        .setCollisionGroups(terrainGroups(this.terrainClass)),
      this.terrainBody,
    );
  }

  groundHeightAt(x: number, y: number): number {
    return this.terrain ? terrainHeightAt(this.terrain, x, y) : 0;
  }

  /**
   * Put the robot at rest at local (x, y) with the body tilted by `tiltRad` about the
   * horizontal axis at angle `tiltAxis` (rad from the x axis) and heading `yaw`.
   */
  resetPose(x: number, y: number, tiltRad: number, tiltAxis: number, yaw: number): void {
    const z = this.groundHeightAt(x, y) + this.params.ballRadius;
    const px = this.originX + x, py = this.originY + y;
    const zero = { x: 0, y: 0, z: 0 };
    this.ball.setTranslation({ x: px, y: py, z }, true);
    this.ball.setRotation({ x: 0, y: 0, z: 0, w: 1 }, true);
    this.ball.setLinvel(zero, true);
    this.ball.setAngvel(zero, true);
    const tilt = quatFromAxisAngle(Math.cos(tiltAxis), Math.sin(tiltAxis), 0, tiltRad, new Float64Array(4));
    const yawQ = quatFromAxisAngle(0, 0, 1, yaw, new Float64Array(4));
    const [qx, qy, qz, qw] = quatMultiply(tilt, yawQ, new Float64Array(4)); // heading first, then tilt
    this.body.setTranslation({ x: px, y: py, z }, true);
    this.body.setRotation({ x: qx, y: qy, z: qz, w: qw }, true);
    this.body.setLinvel(zero, true);
    this.body.setAngvel(zero, true);
    this.ball.resetTorques(true);
    this.body.resetTorques(true);
    this.command.fill(0);
    this.activeCommand.fill(0);
    this.jitterSubsteps = 0;
    this.motors.reset();
    this.sensors.reset();
    this.wheelSpeed.fill(0);
    this.wheelTorque.fill(0);
    this.wheelAngle.fill(0);
    this.substepCount = 0;
    this.recordSensors();
    this.sensors.primeEncoders();
  }

  /**
   * Put the robot at the origin in motion: body attitude `bodyQ` (x, y, z, w), body and ball
   * angular velocities in the world frame, the ball rolling without slip, the motors as if
   * they had been driven by `commandAgo(s)`, the command (N m) sent s seconds before (the latest
   * one, s = 0, stays set). Replay starts windows from here.
   */
  placeInMotion(bodyQ: ArrayLike<number>, bodyAngvelWorld: ArrayLike<number>, ballAngvelWorld: ArrayLike<number>, commandAgo: (seconds: number) => ArrayLike<number>): void {
    this.resetPose(0, 0, 0, 0, 0);
    const r = this.params.ballRadius;
    const [wx, wy, wz] = [ballAngvelWorld[0], ballAngvelWorld[1], ballAngvelWorld[2]];
    this.body.setRotation({ x: bodyQ[0], y: bodyQ[1], z: bodyQ[2], w: bodyQ[3] }, true);
    this.body.setAngvel({ x: bodyAngvelWorld[0], y: bodyAngvelWorld[1], z: bodyAngvelWorld[2] }, true);
    this.ball.setAngvel({ x: wx, y: wy, z: wz }, true);
    // Rolling without slip: v = w x (0, 0, r); the joint keeps the body origin on the ball centre.
    const vx = wy * r, vy = -wx * r;
    this.ball.setLinvel({ x: vx, y: vy, z: 0 }, true);
    // The body's linvel is its centre of mass's: ball velocity + w_body x (R com).
    const c = rotate(bodyQ, this.params.comOffset, this.v);
    const [bx, by, bz] = [bodyAngvelWorld[0], bodyAngvelWorld[1], bodyAngvelWorld[2]];
    this.body.setLinvel({ x: vx + by * c[2] - bz * c[1], y: vy + bz * c[0] - bx * c[2], z: bx * c[1] - by * c[0] }, true);
    this.setCommand(commandAgo(0), null);
    const gain = this.params.motorGain, scaled = this.primeCommand;
    this.motors.prime(this.motorParams, (k) => {
      const c = commandAgo(k * this.physicsDt);
      for (let i = 0; i < 3; i++) scaled[i] = c[i] * gain;
      return scaled;
    }, this.physicsDt);
    this.stateFresh = false;
    this.sensors.reset();
    this.recordSensors();
    this.sensors.primeEncoders();
  }

  /** Set a new torque command; with control jitter it reaches the motors a few substeps late. */
  setCommand(torquesNm: ArrayLike<number>, rng: Rng | null): void {
    for (let i = 0; i < 3; i++) this.command[i] = torquesNm[i] * this.params.motorGain;
    this.jitterSubsteps = rng && this.params.controlJitter > 0 ? Math.round(rng.uniform(0, this.params.controlJitter) / this.physicsDt) : 0;
    if (this.jitterSubsteps === 0) this.activeCommand.set(this.command);
  }

  /** Compute and apply wheel, damping torques for the next physics substep. */
  prePhysics(): void {
    const p = this.params;
    if (this.jitterSubsteps > 0 && --this.jitterSubsteps === 0) this.activeCommand.set(this.command);
    // postPhysics already read the state this step needs, unless something moved the bodies since.
    if (!this.stateFresh) this.readState();
    this.stateFresh = false;
    const q = this.q;
    // w = ball angular velocity relative to the body, in the body frame
    const w = this.v;
    w[0] = this.wBall[0] - this.wBody[0];
    w[1] = this.wBall[1] - this.wBody[1];
    w[2] = this.wBall[2] - this.wBody[2];
    rotateInverse(q, w, w);
    wheelSpeedsFromRelative(this.J, w, this.wheelSpeed);
    this.motors.step(this.motorParams, this.activeCommand, this.wheelSpeed, this.physicsDt, this.wheelTorque);
    this.contact?.limitTraction(this.wheelTorque);
    // Torque on the ball from the wheels, body frame -> world frame.
    ballTorqueFromWheels(this.J, this.wheelTorque, this.tau);
    this.contact?.addRollerTorque(w, this.tau);
    rotate(q, this.tau, this.tau);
    const tb = this.torqueBall, tB = this.torqueBody;
    tb.x = this.tau[0] - p.rollingDamping * this.wBall[0];
    tb.y = this.tau[1] - p.rollingDamping * this.wBall[1];
    tb.z = this.tau[2] - p.spinDamping * this.wBall[2];
    tB.x = -this.tau[0];
    tB.y = -this.tau[1];
    tB.z = -this.tau[2];
    this.ball.resetTorques(false);
    this.ball.addTorque(tb, true);
    this.body.resetTorques(false);
    this.body.addTorque(tB, true);
  }

  /** Integrate encoders and record sensor samples after a physics substep. */
  postPhysics(): void {
    const dt = this.physicsDt;
    for (let i = 0; i < 3; i++) this.wheelAngle[i] += this.wheelSpeed[i] * dt;
    this.substepCount++;
    this.recordSensors();
  }

  private recordSensors(): void {
    this.readState();
    rotateInverse(this.q, this.wBody, this.v);
    this.sensors.record(this.q, this.v, this.wheelAngle);
    this.stateFresh = true;
  }

  /** Read body attitude, body and ball angular velocities from Rapier into the scratch buffers. */
  private readState(): void {
    this.readBodyRotation();
    this.readBodyAngvel();
    this.readBallAngvel();
  }

  push(dvx: number, dvy: number): void {
    this.stateFresh = false;
    const m = this.params.bodyMass;
    this.body.applyImpulse({ x: m * dvx, y: m * dvy, z: 0 }, true);
  }

  /** Tilt of the body's z axis from vertical, rad. */
  tilt(): number {
    const r = this.body.rotation(this.rq);
    const c = 1 - 2 * (r.x * r.x + r.y * r.y);
    return Math.acos(c > 1 ? 1 : c < -1 ? -1 : c);
  }

  /** Ball centre relative to this robot's patch origin. */
  localPosition(out: Float64Array): Float64Array {
    const t = this.ball.translation(this.rv);
    out[0] = t.x - this.originX;
    out[1] = t.y - this.originY;
    out[2] = t.z;
    return out;
  }

  ballVelocity(out: Float64Array): Float64Array {
    const v = this.ball.linvel(this.rv);
    out[0] = v.x; out[1] = v.y; out[2] = v.z;
    return out;
  }

  /** Body angular velocity in the world frame (reused buffer). */
  bodyAngvelWorld(): Float64Array {
    this.readBodyAngvel();
    return this.wBody;
  }

  bodyRotation(): Float64Array {
    return this.readBodyRotation();
  }

  fillTruth(t: PlantTruth, tiltLimitRad: number): PlantTruth {
    t.timeS = this.timeS;
    this.localPosition(t.ballPosition);
    this.ballVelocity(t.ballVelocity);
    const bq = this.ball.rotation(this.rq);
    t.ballOrientation[0] = bq.x; t.ballOrientation[1] = bq.y; t.ballOrientation[2] = bq.z; t.ballOrientation[3] = bq.w;
    t.bodyOrientation.set(this.readBodyRotation());
    this.readBodyAngvel();
    rotateInverse(t.bodyOrientation, this.wBody, t.bodyAngularVelocity);
    t.tiltRad = this.tilt();
    t.wheelVelocity.set(this.wheelSpeed);
    t.wheelTorque.set(this.wheelTorque);
    t.fallen = t.tiltRad > tiltLimitRad;
    return t;
  }

  private readBodyRotation(): Float64Array {
    const r = this.body.rotation(this.rq);
    const q = this.q;
    q[0] = r.x; q[1] = r.y; q[2] = r.z; q[3] = r.w;
    return q;
  }

  private readBallAngvel(): void {
    const a = this.ball.angvel(this.rv);
    this.wBall[0] = a.x; this.wBall[1] = a.y; this.wBall[2] = a.z;
  }

  private readBodyAngvel(): void {
    const a = this.body.angvel(this.rv2);
    this.wBody[0] = a.x; this.wBody[1] = a.y; this.wBody[2] = a.z;
  }
}


export function newTruth(): PlantTruth {
  return {
    timeS: 0,
    ballPosition: new Float64Array(3),
    ballVelocity: new Float64Array(3),
    ballOrientation: new Float64Array(4),
    bodyOrientation: new Float64Array(4),
    bodyAngularVelocity: new Float64Array(3),
    tiltRad: 0,
    wheelVelocity: new Float64Array(3),
    wheelTorque: new Float64Array(3),
    fallen: false,
  };
}

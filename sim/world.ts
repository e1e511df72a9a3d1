// A Rapier World holding many ballbots. A World step has a fixed cost of its own, so
// stepping N robots in one World is much cheaper per robot than N Worlds. Robots never
// touch each other (collision groups) and each has its own patch of ground, so resetting
// one robot does not disturb the others.
import type RAPIER from '@dimforge/rapier3d-compat';
import type { RobotConfig } from './config/robot.js';
import { substepsPerControl } from './config/robot.js';
import { loadRapier } from './rapier.js';
import { SLAB_GROUPS, RobotSim, TERRAIN_CLASSES } from './robot-sim.js';
import { TERRAIN_DEFAULTS } from './terrain.js';

/**
 * Where robot g (global index) stands. Robots of one cluster overlap in space but have
 * distinct terrain classes; clusters are a terrain patch apart. Placement depends only on
 * g, so a robot's trajectory is the same however envs are split over Worlds, and all
 * robots stay near the origin where Rapier's f32 positions are precise.
 */
function robotOrigin(g: number): [number, number] {
  const cluster = Math.floor(g / TERRAIN_CLASSES);
  const spacing = TERRAIN_DEFAULTS.size + 10;
  return [(cluster % 4) * spacing, Math.floor(cluster / 4) * spacing];
}

export class BallbotWorld {
  readonly substeps: number;

  private constructor(
    readonly world: RAPIER.World,
    readonly robots: RobotSim[],
    readonly physicsDt: number,
    readonly controlDt: number,
  ) {
    this.substeps = Math.round(controlDt / physicsDt);
  }

  /** `count` robots with global indices first .. first + count - 1. */
  static async create(robot: RobotConfig, count: number, first = 0): Promise<BallbotWorld> {
    const R = await loadRapier();
    const world = new R.World({ x: 0, y: 0, z: -robot.gravity });
    const physicsDt = 1 / (robot.control.rateHz * substepsPerControl(robot));
    world.timestep = physicsDt;
    // Flat ground for everyone: one large slab whose top is z = 0.
    const ground = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0, -0.5));
    world.createCollider(R.ColliderDesc.cuboid(2000, 2000, 0.5).setFriction(1).setCollisionGroups(SLAB_GROUPS), ground);
    const robots: RobotSim[] = [];
    for (let i = 0; i < count; i++) {
      const [ox, oy] = robotOrigin(first + i);
      robots.push(new RobotSim(R, world, robot, ox, oy, physicsDt, first + i));
    }
    return new BallbotWorld(world, robots, physicsDt, 1 / robot.control.rateHz);
  }

  /** One physics substep for every robot. */
  stepPhysics(): void {
    const robots = this.robots;
    for (let i = 0; i < robots.length; i++) robots[i].prePhysics();
    this.world.step();
    for (let i = 0; i < robots.length; i++) robots[i].postPhysics();
  }

  /** One control period: all substeps. */
  stepControl(): void {
    for (let s = 0; s < this.substeps; s++) this.stepPhysics();
  }

  close(): void {
    this.world.free();
  }
}

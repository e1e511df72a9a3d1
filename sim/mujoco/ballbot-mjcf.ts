// The ballbot as a MuJoCo model (MJCF), built from the same robot config as the Rapier model:
// a ball with a free joint on a ground plane, and the body as its child through a ball joint
// at the ball centre. Masses and inertias are given explicitly (<inertial>), the geoms carry
// none. The omniwheels are ideal, as in the Rapier model: no wheel bodies; their torques act
// through the omniwheel Jacobian as equal and opposite torques on ball and body (xfrc_applied),
// so the drive needs no anisotropic friction (stock MuJoCo has no roller model).
// Contacts: condim 3 (sliding friction only), like Rapier: rolling and spinning resistance are
// the config's damping torques, applied by the plant.
import type { RobotConfig } from '../config/robot.js';
import type { EpisodeParams } from '../episode-params.js';

export function ballbotMjcf(robot: RobotConfig, p: EpisodeParams): string {
  const r = p.ballRadius, I = p.ballInertia, c = p.comOffset, Ib = p.bodyInertia;
  const n = (x: number) => x.toPrecision(9);
  return `<mujoco model="${robot.name}">
  <option timestep="${n(robot.control.physicsDt)}" gravity="0 0 ${n(-robot.gravity)}"/>
  <worldbody>
    <geom name="ground" type="plane" size="100 100 0.1" friction="1 0 0" condim="3"/>
    <body name="ball" pos="0 0 ${n(r)}">
      <freejoint name="ball"/>
      <inertial pos="0 0 0" mass="${n(p.ballMass)}" diaginertia="${n(I)} ${n(I)} ${n(I)}"/>
      <geom name="ball" type="sphere" size="${n(r)}" mass="0" friction="${n(p.friction)} 0 0" condim="3"/>
      <body name="body" pos="0 0 0">
        <joint name="tilt" type="ball"/>
        <inertial pos="${n(c[0])} ${n(c[1])} ${n(c[2])}" mass="${n(p.bodyMass)}" diaginertia="${n(Ib[0])} ${n(Ib[1])} ${n(Ib[2])}"/>
      </body>
    </body>
  </worldbody>
</mujoco>
`;
}

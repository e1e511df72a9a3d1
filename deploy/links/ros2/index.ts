// ROS 2 RobotLink on rclnodejs, for robots that run ros2_control.
//
//   const link = await createRos2Link({ configFile: 'configs/deploy/ros2.yaml', onArmRequest, onEstop });
//   await link.connect();              // rejects when no state arrives (names the topics)
//
// rclnodejs is loaded at run time (an optional dependency that needs a sourced ROS 2). When it
// cannot be loaded, createRos2Link rejects with a Ros2UnavailableError whose message says what
// to do (source ROS 2, approve and rebuild rclnodejs, generate messages): nothing is armed.
//
// Hooks the deploy runtime registers (all optional):
// - onArmRequest(): ArmDecision | Promise<ArmDecision>
//     An operator called the arm service (std_srvs/srv/Trigger, services.arm). The link first
//     checks its own conditions (e-stop input released, robot state arriving); then it asks
//     the runtime, which re-arms its own safety latch and answers {ok: true, message}, or
//     refuses with a reason. Only on ok does the link release its lock; the service response
//     carries the answer back to the caller. Without this hook the service always refuses.
// - onEstop(reason): the lock engaged from the ROS side: a `true` on the e-stop input, a silent
//     e-stop input (estop.inputTimeoutMs), the disarm service, or a non-finite command. The
//     runtime should latch its own e-stop. (Not called for the runtime's own sendEstop.)
// - onState(state): a new complete state arrived (the same object latestState() returns,
//     updated in place); the runtime can copy it into the control worker's shared memory at
//     once instead of polling.
// - log(line): progress and warnings (default: stderr).
//
// Lock semantics: the link starts locked (zero effort). sendArm() (or an accepted arm
// service call) releases it; sendEstop(), an e-stop message, the disarm service or close()
// engage it, and it stays engaged until the next explicit re-arm even when the e-stop input
// returns to false. While locked every sendCommand() publishes zeros, because a
// forward_command_controller holds its last command forever. The lock state is published on
// estop.output (true = engaged), reliable + transient local, on change and with diagnostics.
//
// Timing: rclnodejs delivers callbacks on the main JS thread. Each callback only converts a
// message into preallocated state (about a microsecond, measured by callbackTiming()), and
// the control loop's timing runs on the runtime's worker thread, so a burst of ROS traffic
// cannot delay a tick; it can only delay when a new state becomes visible, which the
// staleness watchdog sees through the header stamps.
//
// Stamps: see clock.ts for how header stamps (ROS time) become stampMs on the host's
// performance.now() clock, and how the clock offset is handled.
import { loadRos2Config, Ros2ConfigSchema, type Ros2Config } from './config.js';
import { loadRclnodejs, type RclModule } from './rcl-api.js';
import { Ros2Link, type Ros2LinkHooks, type Ros2RobotLink } from './ros2-link.js';
import { validateConfig } from '../../../sim/config/yaml.js';
import type { RobotConfig } from '../../../sim/config/robot.js';

export type { ArmDecision, Ros2LinkHooks, Ros2RobotLink, Ros2LinkExtras } from './ros2-link.js';
export { Ros2UnavailableError, ROS2_HOW_TO_ENABLE, type RclModule } from './rcl-api.js';
export { loadRos2Config, Ros2ConfigSchema, type Ros2Config, DEFAULT_ROS2_CONFIG_FILE } from './config.js';

export interface Ros2LinkOptions extends Ros2LinkHooks {
  /** Deploy config file (default configs/deploy/ros2.yaml); ignored when `config` is given. */
  configFile?: string;
  /** An already loaded config (validated again here). */
  config?: Ros2Config;
  /** rclnodejs-shaped module; default: the real rclnodejs, loaded now. Tests inject a double. */
  rcl?: RclModule;
  /** Host monotonic clock, ms (default performance.now). */
  now?: () => number;
  /** The robot (passed by deploy's link factory): efforts are also clipped to its motor.maxTorque; its perception sensors size the perception frames. */
  robot?: RobotConfig;
  /** The control rate (passed by deploy's link factory); informational. */
  rateHz?: number;
}

export async function createRos2Link(options: Ros2LinkOptions = {}): Promise<Ros2RobotLink> {
  const config = options.config ? validateConfig(Ros2ConfigSchema, options.config, 'ros2 link options.config') : loadRos2Config(options.configFile);
  if (options.robot && options.robot.motor.maxTorque < config.commands.maxEffort) {
    config.commands.maxEffort = options.robot.motor.maxTorque;
  }
  const rcl = options.rcl ?? (await loadRclnodejs());
  return new Ros2Link(config, { rcl, now: options.now }, options, options.robot);
}

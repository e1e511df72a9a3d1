// The ROS 2 link's configuration: topic names, QoS, wheel joint names, services and clock
// handling. One schema for the deploy side and the virtual robot, so both agree on topics.
import { z } from 'zod';
import { loadYamlFile } from '../../../sim/config/yaml.js';
import { configPath } from '../../../sim/config/paths.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from '../../../sim/perception/perception-batch.js';

const topicName = z
  .string()
  .min(1)
  .regex(/^[~/A-Za-z_][A-Za-z0-9_/~{}]*$/, { message: 'must be a ROS 2 topic name (letters, digits, _ and /)' });

/** QoS as names a user reads in `ros2 topic info -v`, turned into rclnodejs QoS by qos.ts. */
const QosSchema = z.strictObject({
  reliability: z.enum(['best_effort', 'reliable']),
  history: z.enum(['keep_last', 'keep_all']).default('keep_last'),
  depth: z.number().int().min(1).max(1000),
  durability: z.enum(['volatile', 'transient_local']).default('volatile'),
});
export type QosSpec = z.output<typeof QosSchema>;

// The issue's QoS choices: state and commands best effort, keep last 1 (a late sample is
// worthless, never retransmit it); e-stop reliable, and transient local so a node that joins
// late still sees that the lock is engaged.
export const STATE_QOS: QosSpec = { reliability: 'best_effort', history: 'keep_last', depth: 1, durability: 'volatile' };
export const COMMAND_QOS: QosSpec = { reliability: 'best_effort', history: 'keep_last', depth: 1, durability: 'volatile' };
export const ESTOP_QOS: QosSpec = { reliability: 'reliable', history: 'keep_last', depth: 1, durability: 'transient_local' };
// Camera-style sensor data (rclcpp's SensorDataQoS): best effort, keep last 1; a late frame is
// replaced by the next one, never retransmitted.
export const PERCEPTION_QOS: QosSpec = { reliability: 'best_effort', history: 'keep_last', depth: 1, durability: 'volatile' };
const DIAGNOSTICS_QOS: QosSpec = { reliability: 'reliable', history: 'keep_last', depth: 10, durability: 'volatile' };

const topic = (defaultQos: QosSpec) =>
  z.strictObject({ topic: topicName, qos: QosSchema.default(defaultQos) });

const jointName = z.string().min(1);
const sign = z.union([z.literal(1), z.literal(-1)]);

export const Ros2ConfigSchema = z
  .strictObject({
    node: z
      .strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a ROS node name' }), namespace: z.string().default('') })
      .prefault({ name: 'ballbot_deploy' }),
    /** Model wheel i (azimuth i in the robot config) is joint wheelJoints[i]. */
    wheelJoints: z.tuple([jointName, jointName, jointName]),
    /** +1 or -1 per wheel: flips a joint whose positive direction is opposite to the model's. */
    wheelSigns: z.tuple([sign, sign, sign]).default([1, 1, 1]),
    state: z.strictObject({
      imu: topic(STATE_QOS),
      jointStates: topic(STATE_QOS),
    }),
    commands: z.strictObject({
      topic: topicName,
      qos: QosSchema.default(COMMAND_QOS),
      /** The forward command controller's `joints` parameter, in its order (default: wheelJoints). */
      controllerJoints: z.tuple([jointName, jointName, jointName]).optional(),
      /** Last-line clip on every published effort, N m (the runtime clips first). */
      maxEffort: z.number().positive().max(1000),
    }),
    estop: z.strictObject({
      /** Bool in: true engages the lock (latches until an explicit re-arm). */
      input: topic(ESTOP_QOS),
      /** Bool out: the lock state, true while engaged. */
      output: topic(ESTOP_QOS),
      /** When > 0, the e-stop input must be heard this often or the lock engages (twist_mux lock timeout). */
      inputTimeoutMs: z.number().min(0).max(60_000).default(0),
    }),
    diagnostics: z
      .strictObject({
        topic: topicName.default('/diagnostics'),
        qos: QosSchema.default(DIAGNOSTICS_QOS),
        rateHz: z.number().min(0.1).max(50).default(2),
        hardwareId: z.string().default('ballbot'),
      })
      .prefault({}),
    services: z.strictObject({
      /** std_srvs/srv/Trigger: ask the deploy runtime to arm (or re-arm after an e-stop). */
      arm: topicName,
      /** std_srvs/srv/Trigger: engage the lock, like an e-stop message. */
      disarm: topicName,
    }),
    clock: z
      .strictObject({
        /** header: state age from header stamps (needs synced clocks); arrival: from receive time. */
        stampSource: z.enum(['header', 'arrival']).default('header'),
        /** A header stamp further in the future than this is refused (clocks not synchronized). */
        maxFutureMs: z.number().min(0).max(10_000).default(20),
        /** How often the ROS-clock-to-host-clock offset is re-measured. */
        offsetSampleMs: z.number().min(10).max(60_000).default(1000),
      })
      .prefault({}),
    /**
     * Perception inputs of a perceptive policy (docs/ros2.md): a depth image as sensor_msgs/Image
     * (32FC1 m or 16UC1 mm) and a height map as std_msgs/Float32MultiArray (row-major, two
     * layout dims). Absent topics: the link feeds no such input.
     */
    perception: z
      .strictObject({
        depth: topic(PERCEPTION_QOS).optional(),
        heightScan: topic(PERCEPTION_QOS).optional(),
        /** The perception-only node (deploy perception.source: ros2) is named node.name + this. */
        nodeSuffix: z.string().regex(/^[A-Za-z0-9_]*$/, { message: 'letters, digits and _ only' }).default('_perception'),
      })
      .optional(),
    /** connect() fails when no state arrives on both state topics within this time. */
    connectTimeoutMs: z.number().min(0).max(120_000).default(5000),
  })
  .superRefine((cfg, ctx) => {
    const wheels = new Set(cfg.wheelJoints);
    if (wheels.size !== 3) ctx.addIssue({ code: 'custom', path: ['wheelJoints'], message: 'the three wheel joint names must differ' });
    const order = cfg.commands.controllerJoints;
    if (order && (new Set(order).size !== 3 || order.some((j) => !wheels.has(j)))) {
      ctx.addIssue({ code: 'custom', path: ['commands', 'controllerJoints'], message: `must list the same three joints as wheelJoints (${cfg.wheelJoints.join(', ')}) in the controller's order` });
    }
    if (cfg.estop.input.topic === cfg.estop.output.topic) {
      ctx.addIssue({ code: 'custom', path: ['estop', 'output', 'topic'], message: 'must differ from estop.input.topic, or the link would hear its own lock state as an e-stop request' });
    }
  });

export type Ros2Config = z.output<typeof Ros2ConfigSchema>;

/** configs/deploy/ros2.yaml in the package (works from any working directory). */
export const DEFAULT_ROS2_CONFIG_FILE = configPath('deploy', 'ros2.yaml');

export function loadRos2Config(file: string = DEFAULT_ROS2_CONFIG_FILE): Ros2Config {
  return loadYamlFile(Ros2ConfigSchema, file);
}

/** The perception inputs the config has topics for ('depth', 'height_scan'). */
export function ros2PerceptionInputs(cfg: Ros2Config): string[] {
  return [...(cfg.perception?.depth ? [DEPTH_INPUT] : []), ...(cfg.perception?.heightScan ? [HEIGHT_SCAN_INPUT] : [])];
}

/** For model wheel i, the index of its joint in the controller's command array. */
export function commandIndexOfWheel(cfg: Ros2Config): Int32Array {
  const order = cfg.commands.controllerJoints ?? cfg.wheelJoints;
  return Int32Array.from(cfg.wheelJoints, (joint) => order.indexOf(joint));
}

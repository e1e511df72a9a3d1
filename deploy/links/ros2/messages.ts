// ROS 2 standard messages as plain objects (field names as in the .msg files, which is how
// rclnodejs hands them over) and the pure conversions between them and the link's state and
// commands. Conversions write into preallocated objects: they run on every message.
import type { SensorState } from '../../../sim/observation.js';
import { MISSING_READING } from '../../../sim/perception/config.js';

type Num = ArrayLike<number>;

export const MSG = {
  imu: 'sensor_msgs/msg/Imu',
  jointState: 'sensor_msgs/msg/JointState',
  float64MultiArray: 'std_msgs/msg/Float64MultiArray',
  float32MultiArray: 'std_msgs/msg/Float32MultiArray',
  image: 'sensor_msgs/msg/Image',
  bool: 'std_msgs/msg/Bool',
  diagnosticArray: 'diagnostic_msgs/msg/DiagnosticArray',
  trigger: 'std_srvs/srv/Trigger',
} as const;

export interface TimeMsg { sec: number; nanosec: number }
export interface HeaderMsg { stamp: TimeMsg; frame_id: string }
export interface Vector3Msg { x: number; y: number; z: number }
export interface QuaternionMsg { x: number; y: number; z: number; w: number }

/** sensor_msgs/msg/Imu */
export interface ImuMsg {
  header: HeaderMsg;
  orientation: QuaternionMsg;
  orientation_covariance: Num; // float64[9]; [0] = -1: no orientation (REP 145)
  angular_velocity: Vector3Msg;
  angular_velocity_covariance: Num;
  linear_acceleration: Vector3Msg;
  linear_acceleration_covariance: Num;
}

/** sensor_msgs/msg/JointState */
export interface JointStateMsg {
  header: HeaderMsg;
  name: ArrayLike<string>;
  position: Num;
  velocity: Num;
  effort: Num;
}

/** std_msgs/msg/Float64MultiArray: the input of ros2_control's forward command controllers. */
export interface Float64MultiArrayMsg {
  layout: { dim: { label: string; size: number; stride: number }[]; data_offset: number };
  data: Num;
}

/** std_msgs/msg/MultiArrayDimension and MultiArrayLayout. */
export interface MultiArrayDimensionMsg { label: string; size: number; stride: number }
export interface MultiArrayLayoutMsg { dim: MultiArrayDimensionMsg[]; data_offset: number }

/** std_msgs/msg/Float32MultiArray: the height map (no header: it is stamped on arrival). */
export interface Float32MultiArrayMsg {
  layout: MultiArrayLayoutMsg;
  data: Num;
}

/** sensor_msgs/msg/Image */
export interface ImageMsg {
  header: HeaderMsg;
  height: number; // rows
  width: number; // columns
  encoding: string; // sensor_msgs/image_encodings: '32FC1', '16UC1', ...
  is_bigendian: number; // uint8
  step: number; // bytes per row
  data: ArrayLike<number>; // uint8[] (rclnodejs: a Uint8Array)
}

/** std_msgs/msg/Bool */
export interface BoolMsg { data: boolean }

/** diagnostic_msgs/msg/DiagnosticStatus levels. */
export const DIAG_LEVEL = { ok: 0, warn: 1, error: 2, stale: 3 } as const;
export interface KeyValueMsg { key: string; value: string }
export interface DiagnosticStatusMsg { level: number; name: string; message: string; hardware_id: string; values: KeyValueMsg[] }
/** diagnostic_msgs/msg/DiagnosticArray */
export interface DiagnosticArrayMsg { header: HeaderMsg; status: DiagnosticStatusMsg[] }

/** std_srvs/srv/Trigger response (the request is empty). */
export interface TriggerResponseMsg { success: boolean; message: string }

// ---- time -------------------------------------------------------------------------------

/** builtin_interfaces/msg/Time to milliseconds on the ROS clock. */
export function stampToMs(stamp: TimeMsg): number {
  return stamp.sec * 1e3 + stamp.nanosec * 1e-6;
}

/** Milliseconds on the ROS clock to builtin_interfaces/msg/Time, written into `out`. */
export function msToStamp(ms: number, out: TimeMsg): TimeMsg {
  const sec = Math.floor(ms / 1e3);
  out.sec = sec;
  out.nanosec = Math.min(999_999_999, Math.max(0, Math.round((ms - sec * 1e3) * 1e6)));
  return out;
}

// ---- state in ---------------------------------------------------------------------------

/**
 * Imu -> orientation (x, y, z, w) and body-frame gyro. The IMU frame is taken as the body
 * frame (x forward, z up), as in the sim. Returns null, or why the message was refused.
 */
export function readImu(msg: ImuMsg, out: SensorState): string | null {
  if (msg.orientation_covariance[0] === -1) {
    return 'IMU publishes no orientation (orientation_covariance[0] = -1); run an attitude filter such as imu_filter_madgwick';
  }
  const q = msg.orientation, w = msg.angular_velocity;
  const norm = Math.hypot(q.x, q.y, q.z, q.w);
  if (!(Math.abs(norm - 1) < 0.1)) return `IMU orientation is not a unit quaternion (norm ${norm})`;
  if (!Number.isFinite(w.x + w.y + w.z)) return 'IMU angular_velocity is not finite';
  out.orientation[0] = q.x / norm;
  out.orientation[1] = q.y / norm;
  out.orientation[2] = q.z / norm;
  out.orientation[3] = q.w / norm;
  out.gyro[0] = w.x;
  out.gyro[1] = w.y;
  out.gyro[2] = w.z;
  return null;
}

/**
 * JointState -> wheel velocities in model order, by joint name (the message may list joints
 * in any order and include others). `indexCache` remembers where each wheel was last time so
 * the common case is three string comparisons. Returns null, or why the message was refused.
 */
export function readWheelVelocities(
  msg: JointStateMsg,
  wheelJoints: readonly string[],
  signs: readonly number[],
  indexCache: Int32Array,
  out: SensorState['wheelVelocity'],
): string | null {
  const names = msg.name;
  for (let i = 0; i < wheelJoints.length; i++) {
    let k = indexCache[i];
    if (k < 0 || k >= names.length || names[k] !== wheelJoints[i]) {
      k = -1;
      for (let j = 0; j < names.length; j++) if (names[j] === wheelJoints[i]) { k = j; break; }
      if (k < 0) return `JointState has no joint '${wheelJoints[i]}' (has: ${Array.from(names).join(', ') || 'none'})`;
      indexCache[i] = k;
    }
    if (k >= msg.velocity.length) return `JointState has no velocity for '${wheelJoints[i]}' (velocity has ${msg.velocity.length} entries)`;
    const v = msg.velocity[k];
    if (!Number.isFinite(v)) return `JointState velocity of '${wheelJoints[i]}' is not finite`;
    out[i] = signs[i] * v;
  }
  return null;
}

// ---- perception in -------------------------------------------------------------------------

/** What a depth frame must be: the artifact's [height, width] and the camera's valid range (robot config). */
export interface DepthFormat { width: number; height: number; minRange: number; maxRange: number }

/**
 * sensor_msgs/Image depth -> metres, row-major [row][column] as the policy's 'depth' input
 * (row 0 at the top, as REP 118 and the sim). 32FC1 is metres, 16UC1 millimetres (REP 118).
 * NaN, +-Inf, 0 and anything outside [minRange, maxRange] become the dropout sentinel 0.
 * Returns null, or why the frame was refused (the previous frame then stays and ages).
 */
export function readDepthImage(msg: ImageMsg, format: DepthFormat, out: Float32Array): string | null {
  const { width, height, minRange, maxRange } = format;
  if (msg.width !== width || msg.height !== height) {
    return `depth image is ${msg.width}x${msg.height}, the policy's depth input is ${width}x${height} (robot config perception.depthCamera); resize it on the robot side`;
  }
  const bytesPerPixel = msg.encoding === '32FC1' ? 4 : msg.encoding === '16UC1' ? 2 : 0;
  if (!bytesPerPixel) return `depth image encoding '${msg.encoding}' is not supported (32FC1 in metres or 16UC1 in millimetres)`;
  if (msg.step < width * bytesPerPixel || msg.data.length < msg.step * height) {
    return `depth image data is too short: step ${msg.step}, ${msg.data.length} bytes for ${width}x${height} ${msg.encoding}`;
  }
  const bytes = msg.data instanceof Uint8Array ? msg.data : Uint8Array.from(msg.data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = msg.is_bigendian === 0;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const at = r * msg.step + c * bytesPerPixel;
      const m = bytesPerPixel === 4 ? view.getFloat32(at, little) : view.getUint16(at, little) / 1000;
      out[r * width + c] = m >= minRange && m <= maxRange ? m : MISSING;
    }
  }
  return null;
}

/** The dropout sentinel: a pixel or cell with no reading. */
const MISSING = MISSING_READING;

/**
 * Float32MultiArray height map -> the policy's 'height_scan' input, row-major [rows][cols]:
 * layout.dim = [{label 'rows', size rows, stride rows*cols}, {label 'cols', size cols,
 * stride cols}] (the std_msgs MultiArrayLayout convention for a row-major array; labels are
 * not checked), data from layout.data_offset. Values in m above the ball's contact point in the
 * robot's heading frame, as the sim's height scan. NaN/Inf become the sentinel 0. Returns null,
 * or why the map was refused.
 */
export function readHeightMap(msg: Float32MultiArrayMsg, rows: number, cols: number, out: Float32Array): string | null {
  const dim = msg.layout.dim;
  if (dim.length !== 2 || dim[0].size !== rows || dim[1].size !== cols) {
    return `height map layout is [${dim.map((d) => `${d.label || '?'}:${d.size}`).join(', ')}], the policy's height_scan input is [rows:${rows}, cols:${cols}] (robot config perception.heightScan countY x countX)`;
  }
  if (dim[1].stride !== cols || dim[0].stride !== rows * cols) {
    return `height map strides are [${dim[0].stride}, ${dim[1].stride}], a row-major [${rows}, ${cols}] array has [${rows * cols}, ${cols}] (column-major maps, as grid_map's, must be transposed)`;
  }
  const offset = msg.layout.data_offset;
  if (msg.data.length < offset + rows * cols) return `height map has ${msg.data.length} values, needs ${offset + rows * cols} (data_offset ${offset} + ${rows * cols})`;
  for (let k = 0; k < rows * cols; k++) {
    const v = msg.data[offset + k];
    out[k] = Number.isFinite(v) ? v : MISSING;
  }
  return null;
}

// ---- commands out -----------------------------------------------------------------------

export function createEffortCommand(size: number): Float64MultiArrayMsg & { data: Float64Array } {
  return { layout: { dim: [{ label: 'wheel_effort', size, stride: size }], data_offset: 0 }, data: new Float64Array(size) };
}

/**
 * Wheel torques (model order, N m) -> effort command in the controller's joint order, with
 * the per-joint sign and a clip to +-maxEffort. Anything non-finite zeroes the whole command
 * (fail safe). Returns false when that happened.
 */
export function writeEffortCommand(
  torques: Num,
  commandIndex: Int32Array,
  signs: readonly number[],
  maxEffort: number,
  out: Float64Array,
): boolean {
  for (let i = 0; i < commandIndex.length; i++) {
    if (!Number.isFinite(torques[i])) {
      out.fill(0);
      return false;
    }
  }
  for (let i = 0; i < commandIndex.length; i++) {
    const t = signs[i] * torques[i];
    out[commandIndex[i]] = t > maxEffort ? maxEffort : t < -maxEffort ? -maxEffort : t;
  }
  return true;
}

/**
 * The inverse, on the robot side (virtual robot): effort command -> torques in model order.
 * A command of the wrong size is ignored, as forward_command_controller does. Returns null,
 * or why the command was refused.
 */
export function readEffortCommand(msg: Float64MultiArrayMsg, commandIndex: Int32Array, signs: readonly number[], out: Float64Array): string | null {
  const n = commandIndex.length;
  if (msg.data.length !== n) return `effort command has ${msg.data.length} values, expected ${n}`;
  for (let i = 0; i < n; i++) {
    const t = msg.data[commandIndex[i]];
    if (!Number.isFinite(t)) return 'effort command is not finite';
    out[i] = signs[i] * t;
  }
  return null;
}

// ---- perception out (virtual robot) ----------------------------------------------------------

/** A 32FC1 depth Image (little endian, no row padding) to fill with fillDepthImage. */
export function createDepthImageMessage(width: number, height: number, frameId: string): ImageMsg & { data: Uint8Array } {
  return { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId }, height, width, encoding: '32FC1', is_bigendian: 0, step: width * 4, data: new Uint8Array(width * height * 4) };
}

/** Depth in the policy's layout (m, 0 = no reading) -> 32FC1, where REP 118 marks no reading as NaN. */
export function fillDepthImage(depth: Float32Array, stampMs: number, msg: ImageMsg & { data: Uint8Array }): ImageMsg {
  msToStamp(stampMs, msg.header.stamp);
  const view = new DataView(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
  for (let i = 0; i < depth.length; i++) view.setFloat32(4 * i, depth[i] === MISSING ? Number.NaN : depth[i], true);
  return msg;
}

/** A row-major [rows][cols] height map with its layout dims (readHeightMap's format). */
export function createHeightMapMessage(rows: number, cols: number): Float32MultiArrayMsg & { data: Float32Array } {
  return { layout: { dim: [{ label: 'rows', size: rows, stride: rows * cols }, { label: 'cols', size: cols, stride: cols }], data_offset: 0 }, data: new Float32Array(rows * cols) };
}

// ---- state out (virtual robot) -----------------------------------------------------------

export function createImuMessage(frameId: string): ImuMsg & { orientation_covariance: Float64Array; angular_velocity_covariance: Float64Array; linear_acceleration_covariance: Float64Array } {
  const noAccel = new Float64Array(9);
  noAccel[0] = -1; // the simulated IMU reports no accelerometer (REP 145)
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId },
    orientation: { x: 0, y: 0, z: 0, w: 1 },
    orientation_covariance: new Float64Array(9),
    angular_velocity: { x: 0, y: 0, z: 0 },
    angular_velocity_covariance: new Float64Array(9),
    linear_acceleration: { x: 0, y: 0, z: 0 },
    linear_acceleration_covariance: noAccel,
  };
}

export function fillImuMessage(state: SensorState, stampMs: number, msg: ImuMsg): ImuMsg {
  msToStamp(stampMs, msg.header.stamp);
  const q = state.orientation, g = state.gyro;
  msg.orientation.x = q[0]; msg.orientation.y = q[1]; msg.orientation.z = q[2]; msg.orientation.w = q[3];
  msg.angular_velocity.x = g[0]; msg.angular_velocity.y = g[1]; msg.angular_velocity.z = g[2];
  return msg;
}

export type JointStateOut = JointStateMsg & { name: string[]; position: Float64Array; velocity: Float64Array; effort: Float64Array };

export function createJointStateMessage(wheelJoints: readonly string[]): JointStateOut {
  const n = wheelJoints.length;
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    name: [...wheelJoints],
    position: new Float64Array(n),
    velocity: new Float64Array(n),
    effort: new Float64Array(n),
  };
}

/** Wheel velocities (model order) -> JointState velocities (message order = wheelJoints), with signs. */
export function fillJointStateMessage(
  state: SensorState,
  effort: Num,
  signs: readonly number[],
  stampMs: number,
  dt: number,
  msg: JointStateOut,
): JointStateOut {
  msToStamp(stampMs, msg.header.stamp);
  for (let i = 0; i < msg.velocity.length; i++) {
    const v = signs[i] * state.wheelVelocity[i];
    msg.velocity[i] = v;
    msg.position[i] += v * dt; // integrated encoder angle
    msg.effort[i] = signs[i] * effort[i];
  }
  return msg;
}

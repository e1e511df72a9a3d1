// QoS specs from the config (names as `ros2 topic info -v` prints them) to rclnodejs QoS
// objects, through rclnodejs' own policy enums so the numbers are never written by hand.
import type { QosSpec } from './config.js';
import type { RclModule, RosQoS } from './rcl-api.js';

export function toRclQos(rcl: Pick<RclModule, 'QoS'>, spec: QosSpec): RosQoS {
  const { HistoryPolicy, ReliabilityPolicy, DurabilityPolicy } = rcl.QoS;
  return new rcl.QoS(
    spec.history === 'keep_all' ? HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL : HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    spec.depth,
    spec.reliability === 'reliable' ? ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    spec.durability === 'transient_local' ? DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

/** Short text for logs and diagnostics, e.g. "best_effort/keep_last(1)/volatile". */
export function describeQos(spec: QosSpec): string {
  return `${spec.reliability}/${spec.history}(${spec.depth})/${spec.durability}`;
}

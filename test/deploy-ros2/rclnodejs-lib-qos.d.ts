// rclnodejs' QoS class is plain JavaScript (lib/qos.js, no native code), so the tests use the
// real one; its package ships no declaration for the deep path, so it gets the type that
// rclnodejs itself declares for QoS.
declare module 'rclnodejs/lib/qos.js' {
  const QoS: typeof import('rclnodejs').QoS;
  export default QoS;
}

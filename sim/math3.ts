// Small allocation-free 3D helpers on plain typed arrays. Quaternions are (x, y, z, w),
// as Rapier stores them, and rotate body-frame vectors into the world frame.

export type Vec3 = Float64Array | number[];
export type Quat = Float64Array | number[];

/** out = q * v * q^-1 (body -> world). out may alias v. */
export function rotate(q: ArrayLike<number>, v: ArrayLike<number>, out: Vec3): Vec3 {
  return rotateBy(q[0], q[1], q[2], q[3], v, out);
}

/** out = q^-1 * v * q (world -> body). out may alias v. */
export function rotateInverse(q: ArrayLike<number>, v: ArrayLike<number>, out: Vec3): Vec3 {
  return rotateBy(-q[0], -q[1], -q[2], q[3], v, out);
}

function rotateBy(qx: number, qy: number, qz: number, qw: number, v: ArrayLike<number>, out: Vec3): Vec3 {
  const vx = v[0], vy = v[1], vz = v[2];
  // t = 2 * cross(q.xyz, v); out = v + w t + cross(q.xyz, t)
  const tx = 2 * (qy * vz - qz * vy);
  const ty = 2 * (qz * vx - qx * vz);
  const tz = 2 * (qx * vy - qy * vx);
  out[0] = vx + qw * tx + (qy * tz - qz * ty);
  out[1] = vy + qw * ty + (qz * tx - qx * tz);
  out[2] = vz + qw * tz + (qx * ty - qy * tx);
  return out;
}

/** Quaternion for a rotation of `angle` rad about the unit axis (ax, ay, az). */
export function quatFromAxisAngle(ax: number, ay: number, az: number, angle: number, out: Quat): Quat {
  const s = Math.sin(angle / 2);
  out[0] = ax * s;
  out[1] = ay * s;
  out[2] = az * s;
  out[3] = Math.cos(angle / 2);
  return out;
}

/** out = a * b (apply b first, then a). out may alias a or b. */
export function quatMultiply(a: ArrayLike<number>, b: ArrayLike<number>, out: Quat): Quat {
  const ax = a[0], ay = a[1], az = a[2], aw = a[3];
  const bx = b[0], by = b[1], bz = b[2], bw = b[3];
  out[0] = aw * bx + ax * bw + ay * bz - az * by;
  out[1] = aw * by - ax * bz + ay * bw + az * bx;
  out[2] = aw * bz + ax * by - ay * bx + az * bw;
  out[3] = aw * bw - ax * bx - ay * by - az * bz;
  return out;
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  q[0] /= n; q[1] /= n; q[2] /= n; q[3] /= n;
  return q;
}

/** Yaw (rotation about world z) of a body-to-world quaternion, rad. */
export function yawOf(q: ArrayLike<number>): number {
  const qx = q[0], qy = q[1], qz = q[2], qw = q[3];
  return Math.atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz));
}

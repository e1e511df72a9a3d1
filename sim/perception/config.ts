// Perception config: the sensors a robot carries (robot config `perception` section), the
// randomization of their errors (randomization config `perception` key) and what a task
// asks to observe (task config `perception` key). All three are optional: a robot, a
// randomization file or a task without them is blind and unchanged.
import { z } from 'zod';

const range = (lo: number, hi: number) => z.number().min(lo).max(hi);
const ticks = (hi: number) => z.number().int().min(0).max(hi);
const interval = (lo: number, hi: number) =>
  z
    .tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)])
    .refine(([a, b]) => a <= b, { message: 'range must be [low, high] with low <= high' });

/** Longest latency a perception delay line holds, control ticks. */
export const MAX_PERCEPTION_LATENCY_TICKS = 20;

export const DepthCameraSchema = z.strictObject({
  /** Camera origin in the body frame, relative to the ball centre (the body's pivot), m. */
  position: z.tuple([z.number(), z.number(), z.number()]).default([0.08, 0, 0.45]),
  /** Downward tilt of the optical axis from the body's +x axis, deg. */
  pitchDeg: range(-90, 90).default(35),
  /** Heading of the optical axis about the body z axis, deg (0 = body +x). */
  yawDeg: range(-180, 180).default(0),
  horizontalFovDeg: range(1, 170).default(87),
  verticalFovDeg: range(1, 170).default(58),
  width: z.number().int().min(1).max(512).default(32),
  height: z.number().int().min(1).max(512).default(24),
  /** Frames per second; between frames the last frame is held. */
  rateHz: range(0.1, 1000).default(30),
  /** Returns closer than this or farther than maxRange read as missing, m. */
  minRange: range(0, 10).default(0.1),
  maxRange: range(0.1, 100).default(4),
  /** Depth noise std: noiseStd + noisePerMetre * depth, m. */
  noiseStd: range(0, 1).default(0.005),
  noisePerMetre: range(0, 1).default(0.01),
  /** Probability that a pixel is missing in a frame. */
  dropout: range(0, 1).default(0.01),
  /** Frames reach the policy this many control ticks after they are rendered. */
  latencyTicks: ticks(MAX_PERCEPTION_LATENCY_TICKS).default(2),
}).refine((c) => c.minRange < c.maxRange, { message: 'minRange must be less than maxRange', path: ['minRange'] });

export const HeightScanSchema = z.strictObject({
  /** Grid points along the heading (x) and across it (y). */
  countX: z.number().int().min(1).max(101).default(11),
  countY: z.number().int().min(1).max(101).default(11),
  /** Grid spacing, m. The grid is centred on the ball and turns with the robot's heading. */
  spacing: range(0.01, 2).default(0.1),
  /** Samples per second; between samples the last scan is held. */
  rateHz: range(0.1, 1000).default(50),
  /** Height noise std, m. */
  noiseStd: range(0, 1).default(0.005),
  dropout: range(0, 1).default(0),
  latencyTicks: ticks(MAX_PERCEPTION_LATENCY_TICKS).default(1),
});

export const PerceptionConfigSchema = z.strictObject({
  depthCamera: DepthCameraSchema.optional(),
  heightScan: HeightScanSchema.optional(),
});

export const PerceptionRandomizationSchema = z.strictObject({
  /** Multiplier of every perception noise std, per episode. */
  noiseScale: interval(0, 10).default([1, 1]),
  /** Multiplier of every dropout probability, per episode (the result is capped at 1). */
  dropoutScale: interval(0, 10).default([1, 1]),
  /** Extra latency per episode, whole control ticks, uniform in the range. */
  extraLatencyTicks: z
    .tuple([ticks(MAX_PERCEPTION_LATENCY_TICKS), ticks(MAX_PERCEPTION_LATENCY_TICKS)])
    .refine(([a, b]) => a <= b, { message: 'range must be [low, high] with low <= high' })
    .default([0, 0]),
  /** Camera mounting error: position offset uniform in +-value per axis, m. */
  cameraPositionErrorM: range(0, 0.2).default(0),
  /** Camera mounting error: pitch and yaw offsets uniform in +-value, deg. */
  cameraAngleErrorDeg: range(0, 20).default(0),
  /** Height-scan registration error: grid offset uniform in +-value on x and y, m. */
  scanPositionErrorM: range(0, 0.5).default(0),
  /** Height-scan heading error uniform in +-value, deg. */
  scanYawErrorDeg: range(0, 20).default(0),
});

export const TaskPerceptionSchema = z.strictObject({
  depth: z.boolean().default(false),
  heightScan: z.boolean().default(false),
});

export type DepthCameraConfig = z.output<typeof DepthCameraSchema>;
export type HeightScanConfig = z.output<typeof HeightScanSchema>;
export type PerceptionConfig = z.output<typeof PerceptionConfigSchema>;
export type PerceptionRandomization = z.output<typeof PerceptionRandomizationSchema>;
export type TaskPerception = z.output<typeof TaskPerceptionSchema>;

/** Value of a depth pixel or height-scan cell with no reading (dropout, no return, out of range). */
export const MISSING_READING = 0;

/** A robot config with a validated perception section (defaults: 32x24 depth at 30 Hz, 11x11 scan). */
export function withPerception<R extends object>(robot: R, section: unknown = { depthCamera: {}, heightScan: {} }): R & { perception: PerceptionConfig } {
  return { ...robot, perception: PerceptionConfigSchema.parse(section) };
}

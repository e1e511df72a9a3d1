// What the server sends the page for one episode (a recording, MCAP telemetry, or a live
// rollout). Every per-frame field but `t` is optional: real-robot telemetry has no ball
// position, and the page draws what it has.
export interface EpisodeFrame {
  t: number;
  ballPosition?: number[];
  ballOrientation?: number[];
  bodyOrientation?: number[];
  tiltRad?: number;
  wheelVelocity?: number[];
  wheelTorque?: number[];
  rawTorque?: number[];
  safeTorque?: number[];
  command?: number[];
  /** A new depth frame captured at this tick (deploy recordings of perceptive policies). */
  depth?: DepthImage;
}

/** One depth camera frame: m, row-major [row][column], row 0 at the top; 0 = no reading. */
export interface DepthImage {
  width: number;
  height: number;
  maxRange: number;
  data: number[];
}

export interface EpisodeEvent {
  t: number;
  kind: 'push' | 'safety' | 'note';
  dv?: number[];
  rule?: string;
  text?: string;
}

/** Just what the page needs to draw the robot. */
export interface EpisodeRobot {
  name: string;
  ballRadius: number;
  comHeight: number;
  wheelRadius: number;
  zenithDeg: number;
  azimuthsDeg: number[];
  maxTorque: number;
}

export type EpisodeTerrain = { kind: 'flat' } | { kind: 'heightfield'; rows: number; cols: number; sizeX: number; sizeY: number; heights: number[] };

export interface EpisodeData {
  title: string;
  kind: 'recording' | 'mcap' | 'live';
  robot: EpisodeRobot;
  terrain: EpisodeTerrain;
  controlDt: number;
  frames: EpisodeFrame[];
  events: EpisodeEvent[];
}

/** Training metrics: column name -> values, one per row of metrics.csv. */
export interface MetricsData {
  title: string;
  columns: string[];
  values: Record<string, Array<number | null>>;
  rows: number;
}

export interface SourceInfo {
  id: number;
  kind: 'recording' | 'mcap' | 'run' | 'live';
  name: string;
  /** Files the page may download, as /files/<id>/<name>. */
  files: string[];
  /** An MCAP deploy recording replayed in the simulator (`ballbot view FILE.mcap --replay`): /api/replay/<id>. */
  replay?: boolean;
}

/** Recorded and replayed sensor signals of a deploy recording (sim/replay.ts, as `ballbot replay`). */
export interface ReplayOverlayData {
  title: string;
  robot: string;
  windowS: number;
  normalizedGap: number;
  /** Seconds from the recording's first sample, one per compared sample. */
  t: number[];
  /** Open-loop window of each sample (each starts again from the recording). */
  window: number[];
  signals: { name: string; unit: string; recorded: number[]; replayed: number[] }[];
}

/** Live stream messages (server-sent events, one JSON object per `data:`). */
export type LiveMessage =
  | { type: 'init'; episode: EpisodeData }
  | { type: 'frames'; frames: EpisodeFrame[] }
  | { type: 'event'; event: EpisodeEvent };

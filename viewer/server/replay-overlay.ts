// `ballbot view FILE.mcap --replay`: the recording replayed in the simulator by the code
// `ballbot replay` runs (sim/replay.ts), as series the page overlays on the recorded ones.
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadReplayRecording, replayRobot } from '../../sim/replay-recording.js';
import { replayOnce, replaySeries } from '../../sim/replay.js';
import type { ReplayOverlayData } from '../page/episode.js';

export const OVERLAY_WINDOW_S = 0.2;

export async function replayOverlay(file: string, title: string, robotFile?: string): Promise<ReplayOverlayData> {
  const rec = loadReplayRecording(file);
  const robot = replayRobot(rec, robotFile, DEFAULT_ROBOT_CONFIG);
  const { trace, gap } = await replayOnce(rec, robot, { windowS: OVERLAY_WINDOW_S });
  return { title, robot: robot.name, windowS: OVERLAY_WINDOW_S, normalizedGap: gap.normalizedGap, ...replaySeries(trace, rec.samples[0].stampMs) };
}

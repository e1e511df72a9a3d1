// `ballbot view FILE.mcap --replay`: recorded (solid) and replayed (dashed) sensor signals of a
// deploy recording, one plot per signal, beside the player's own plots.
import type { ReplayOverlayData } from './episode.js';
import { SvgPlot } from './plot.js';

const TITLES: Record<string, string> = {
  tilt_x: 'Tilt x (gravity)', tilt_y: 'Tilt y (gravity)', gyro_x: 'Tilt rate x', gyro_y: 'Tilt rate y', gyro_z: 'Yaw rate',
  wheel_0: 'Wheel 0 speed', wheel_1: 'Wheel 1 speed', wheel_2: 'Wheel 2 speed', ball_vx: 'Ball velocity x', ball_vy: 'Ball velocity y',
};

/** Fetch the overlay and draw it; resolves with the names of the signals drawn. */
export async function showReplayOverlay(parent: HTMLElement, sourceId: number): Promise<string[]> {
  const res = await fetch(`/api/replay/${sourceId}`);
  if (!res.ok) throw new Error(`replay: HTTP ${res.status}`);
  const data = (await res.json()) as ReplayOverlayData;
  const head = document.createElement('div');
  head.className = 'plot-head';
  head.dataset.replayGap = String(data.normalizedGap);
  head.textContent = `Replay on ${data.robot}: ${data.window.length ? data.window[data.window.length - 1] + 1 : 0} open-loop windows of ${data.windowS} s, normalised gap ${data.normalizedGap.toFixed(3)}`;
  parent.append(head);
  const x0 = data.t[0] ?? 0, x1 = data.t[data.t.length - 1] ?? 1;
  for (const s of data.signals) {
    const plot = new SvgPlot(parent, `replay-${s.name}`, TITLES[s.name] ?? s.name, s.unit, [
      { name: 'robot', color: '#5aa9ff' },
      { name: 'replay', color: '#f97316', dashed: true },
    ]);
    plot.draw(data.t, [s.recorded, s.replayed], 0, data.t.length, x0, x1);
  }
  return data.signals.map((s) => s.name);
}

// The episode player: the 3D scene, the time plots and the transport controls (play, pause,
// speed, scrub, follow camera). Recordings play from their start; a live rollout follows
// its newest frame unless the user pauses or scrubs back.
import type { EpisodeData, EpisodeEvent, LiveMessage } from './episode.js';
import { SvgPlot, type Marker } from './plot.js';
import { BallbotScene } from './scene.js';
import { EpisodeStore } from './store.js';
import { DepthView } from './depth-view.js';

const WHEEL_COLORS = ['#f87171', '#60a5fa', '#4ade80'];
const LIVE_WINDOW_S = 10;
const PUSH_SHOW_S = 0.6;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface PlayerHandle {
  store: EpisodeStore;
  scene: BallbotScene;
  index(): number;
  time(): number;
  playing(): boolean;
  renders(): number;
  depth: DepthView;
}

export function startPlayer(episode: EpisodeData, liveSourceId: number | null): PlayerHandle {
  const live = liveSourceId !== null;
  document.body.classList.toggle('live', live);
  $('player-view').hidden = false;
  const store = new EpisodeStore();
  store.append(episode.frames);
  store.events.push(...episode.events);
  const scene = new BallbotScene($<HTMLCanvasElement>('scene'), episode.robot, episode.terrain);

  const plotsEl = $('plots');
  plotsEl.replaceChildren();
  const tiltPlot = new SvgPlot(plotsEl, 'tilt', 'Tilt', 'deg', [{ name: 'tilt', color: '#facc15' }]);
  const torquePlot = new SvgPlot(plotsEl, 'torque', 'Wheel torque: raw vs safe', 'N m', [
    ...WHEEL_COLORS.map((color, i) => ({ name: `raw ${i}`, color, dashed: true })),
    ...WHEEL_COLORS.map((color, i) => ({ name: `safe ${i}`, color })),
  ]);
  const speedPlot = new SvgPlot(plotsEl, 'wheel-speed', 'Wheel speed', 'rad/s', WHEEL_COLORS.map((color, i) => ({ name: `wheel ${i}`, color })));
  const plots = [tiltPlot, torquePlot, speedPlot];

  const playBtn = $<HTMLButtonElement>('play');
  const speedSel = $<HTMLSelectElement>('speed');
  const scrub = $<HTMLInputElement>('scrub');
  const timeLabel = $('time');
  const follow = $<HTMLInputElement>('follow');
  const hud = $('hud');
  const depthView = new DepthView($<HTMLCanvasElement>('depth'), $('depth-label'));

  let time = store.length ? store.t[0] : 0;
  let playing = live;
  let atLiveEdge = live;
  let plotsDirty = true;
  let renders = 0;

  const setPlaying = (p: boolean) => {
    playing = p;
    playBtn.textContent = p ? 'Pause' : 'Play';
  };
  setPlaying(playing);
  playBtn.onclick = () => {
    if (!playing && !live && store.length && time >= store.t[store.length - 1]) time = store.t[0];
    setPlaying(!playing);
    if (live && playing) atLiveEdge = true;
  };
  window.addEventListener('keydown', (e) => {
    if (e.code === 'Space' && e.target === document.body) {
      e.preventDefault();
      playBtn.click();
    }
  });
  follow.onchange = () => (scene.follow = follow.checked);
  scrub.oninput = () => {
    const i = Math.min(Number(scrub.value), store.length - 1);
    if (i >= 0) time = store.t[i];
    setPlaying(false);
    atLiveEdge = false;
    plotsDirty = true;
  };
  new ResizeObserver(() => scene.resize()).observe($('scene-wrap'));

  const markers = (): Marker[] =>
    store.events.map((e: EpisodeEvent) => ({
      x: e.t,
      color: e.kind === 'push' ? '#5aa9ff' : e.kind === 'safety' ? '#f43f5e' : '#9ca3af',
      label: e.kind === 'push' ? `push dv=(${e.dv?.map((v) => v.toFixed(2)).join(', ')}) m/s` : e.kind === 'safety' ? `safety: ${e.rule}${e.text ? ` (${e.text})` : ''}` : (e.text ?? 'note'),
    }));

  const drawPlots = () => {
    const n = store.length;
    if (n === 0) return;
    let start = 0, end = n, x0 = store.t[0], x1 = store.t[n - 1];
    if (live) {
      x1 = Math.max(store.t[n - 1], x0 + LIVE_WINDOW_S);
      x0 = x1 - LIVE_WINDOW_S;
      start = store.firstAtOrAfter(x0);
    }
    tiltPlot.draw(store.t, [store.tiltDeg], start, end, x0, x1);
    torquePlot.draw(store.t, [...store.rawTorque, ...store.safeTorque], start, end, x0, x1);
    speedPlot.draw(store.t, store.wheelVelocity, start, end, x0, x1);
    const m = markers();
    for (const p of plots) p.setMarkers(m);
  };

  if (live) {
    const source = new EventSource(`/api/live/${liveSourceId}/stream`);
    source.onmessage = (ev) => {
      const msg = JSON.parse(ev.data as string) as LiveMessage;
      if (msg.type === 'frames') store.append(msg.frames);
      else if (msg.type === 'event') store.events.push(msg.event);
      else if (msg.type === 'init' && store.length === 0) {
        store.append(msg.episode.frames);
        store.events.push(...msg.episode.events);
      }
      const n = store.length;
      if (n && store.t[n - 1] - store.t[0] > 60) store.dropBefore(store.t[n - 1] - 60);
      plotsDirty = true;
    };
    const post = (path: string, body: unknown) => fetch(`/api/live/${liveSourceId}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    $('live-push').onclick = () => {
      const a = Math.random() * 2 * Math.PI;
      void post('push', { dvx: 0.4 * Math.cos(a), dvy: 0.4 * Math.sin(a) });
    };
    $('live-reset').onclick = () => void post('reset', {});
  }

  let last = performance.now();
  const frame = (now: number) => {
    const dt = Math.min((now - last) / 1000, 0.1);
    last = now;
    const n = store.length;
    if (n) {
      const tEnd = store.t[n - 1];
      if (live && atLiveEdge && playing) time = tEnd;
      else if (playing) {
        time += dt * Number(speedSel.value);
        if (time >= tEnd) {
          time = tEnd;
          if (!live) setPlaying(false);
          else atLiveEdge = true;
        }
      }
      const i = store.indexAt(time);
      const f = store.frames[i];
      const push = [...store.events].reverse().find((e) => e.kind === 'push' && e.t <= time && time - e.t < PUSH_SHOW_S);
      scene.setPose({
        ballPosition: f.ballPosition ?? [0, 0, episode.robot.ballRadius],
        ballOrientation: f.ballOrientation,
        bodyOrientation: f.bodyOrientation,
        wheelAngles: [store.wheelAngle[0][i], store.wheelAngle[1][i], store.wheelAngle[2][i]],
        command: f.command,
        push: push?.dv ?? null,
      });
      depthView.show(store.depthAt[i]);
      scrub.max = String(n - 1);
      if (document.activeElement !== scrub || playing) scrub.value = String(i);
      timeLabel.textContent = `${(f.t - store.t[0]).toFixed(3)} / ${(tEnd - store.t[0]).toFixed(3)} s`;
      hud.textContent = [
        `${episode.robot.name}  ${episode.kind}`,
        `tilt ${store.tiltDeg[i].toFixed(2)} deg`,
        f.ballPosition ? `ball  (${f.ballPosition[0].toFixed(2)}, ${f.ballPosition[1].toFixed(2)}) m` : '',
        f.command && (f.command[0] || f.command[1] || f.command[2]) ? `cmd   (${f.command.map((v) => v.toFixed(2)).join(', ')})` : '',
      ].filter(Boolean).join('\n');
      if (plotsDirty || live) {
        drawPlots();
        plotsDirty = false;
      }
      for (const p of plots) p.setCursor(f.t);
      scene.canvas.dataset.frameIndex = String(i);
    }
    scene.render();
    renders++;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  return { store, scene, index: () => store.indexAt(time), time: () => time, playing: () => playing, renders: () => renders, depth: depthView };
}

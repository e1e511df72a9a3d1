// Entry point of the viewer page: pick the source (?source=N, default the first), then show
// the episode player or the training curves. Exposes a small read-only hook for the e2e test.
import type { EpisodeData, SourceInfo } from './episode.js';
import { startCurves } from './curves.js';
import { startPlayer, type PlayerHandle } from './player.js';
import { showReplayOverlay } from './replay-plots.js';

declare global {
  interface Window {
    ballbotViewer?: {
      ready: boolean;
      error?: string;
      kind?: SourceInfo['kind'];
      frameCount(): number;
      frameIndex(): number;
      time(): number;
      playing(): boolean;
      renders(): number;
      bodyPosition(): number[];
      framePosition(i: number): number[] | undefined;
      /** The depth frame shown beside the scene (its size), or null when there is none. */
      depthShown(): { width: number; height: number } | null;
      /** Signals of the replay overlay drawn (`--replay`), empty without one. */
      replaySignals?: string[];
    };
  }
}

function showError(message: string): void {
  const el = document.getElementById('message')!;
  el.hidden = false;
  el.textContent = message;
  window.ballbotViewer = { ...(window.ballbotViewer ?? emptyHook()), ready: false, error: message };
}

function emptyHook(): NonNullable<Window['ballbotViewer']> {
  return { ready: false, frameCount: () => 0, frameIndex: () => 0, time: () => 0, playing: () => false, renders: () => 0, bodyPosition: () => [], framePosition: () => undefined, depthShown: () => null };
}

async function main(): Promise<void> {
  const sources = (await (await fetch('/api/sources')).json()) as SourceInfo[];
  const wanted = Number(new URLSearchParams(location.search).get('source') ?? '0');
  const source = sources.find((s) => s.id === wanted) ?? sources[0];
  const select = document.getElementById('source') as HTMLSelectElement;
  for (const s of sources) select.add(new Option(`${s.kind}: ${s.name}`, String(s.id), false, s.id === source.id));
  select.onchange = () => (location.search = `?source=${select.value}`);
  document.getElementById('downloads')!.replaceChildren(
    ...source.files.map((f) => {
      const a = document.createElement('a');
      a.href = `/files/${source.id}/${encodeURIComponent(f)}`;
      a.download = f;
      a.textContent = `download ${f}`;
      return a;
    }),
  );
  if (source.kind === 'run') {
    await startCurves(source.id);
    window.ballbotViewer = { ...emptyHook(), ready: true, kind: 'run' };
    return;
  }
  let player: PlayerHandle;
  if (source.kind === 'live') {
    player = startPlayer(await liveInit(source.id), source.id);
  } else {
    const res = await fetch(`/api/episode/${source.id}`);
    if (!res.ok) throw new Error(`episode: HTTP ${res.status}`);
    const episode = (await res.json()) as EpisodeData;
    document.getElementById('title')!.textContent = `${episode.title}  (${episode.frames.length} frames, ${episode.events.length} events)`;
    player = startPlayer(episode, null);
  }
  const replaySignals = source.replay ? await showReplayOverlay(document.getElementById('plots')!, source.id) : [];
  window.ballbotViewer = {
    ready: true,
    kind: source.kind,
    frameCount: () => player.store.length,
    frameIndex: () => player.index(),
    time: () => player.time(),
    playing: () => player.playing(),
    renders: () => player.renders(),
    bodyPosition: () => player.scene.bodyPosition(),
    framePosition: (i) => player.store.frames[i]?.ballPosition,
    depthShown: () => {
      const d = player.depth.current;
      return d ? { width: d.width, height: d.height } : null;
    },
    replaySignals,
  };
}

/** The robot and terrain of a live rollout, from the first message of its stream. */
function liveInit(id: number): Promise<EpisodeData> {
  return new Promise((resolve, reject) => {
    const es = new EventSource(`/api/live/${id}/stream`);
    es.onmessage = (ev) => {
      const msg = JSON.parse(ev.data as string) as { type: string; episode?: EpisodeData };
      if (msg.type === 'init' && msg.episode) {
        es.close();
        document.getElementById('title')!.textContent = msg.episode.title;
        resolve({ ...msg.episode, frames: [], events: [] });
      }
    };
    es.onerror = () => reject(new Error('live stream failed'));
  });
}

main().catch((err: Error) => showError(`ballbot view: ${err.message}`));

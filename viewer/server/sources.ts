// What `ballbot view` was given: recordings, MCAP telemetry, run directories and live
// rollouts, each loaded and validated up front so a bad file fails at start with its name.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readRecording } from '../../sim/recording.js';
import type { EpisodeData, ReplayOverlayData, SourceInfo } from '../page/episode.js';
import { episodeFromRecording } from './episode-from-recording.js';
import type { LiveRollout } from './live.js';
import { episodeFromMcapFile } from './mcap.js';
import { listedFiles, servedRoot, type ServedRoot } from './safe-path.js';

export type ViewerSource =
  | { kind: 'recording' | 'mcap'; name: string; root: ServedRoot; files: string[]; episode: EpisodeData; replay?: ReplayOverlayData }
  | { kind: 'run'; name: string; root: ServedRoot; files: string[]; metricsFile: string }
  | { kind: 'live'; name: string; live: LiveRollout };

const MCAP_MAGIC = Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50]); // \x89MCAP

function startsWithMcapMagic(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(MCAP_MAGIC.length);
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.equals(MCAP_MAGIC);
  } finally {
    closeSync(fd);
  }
}

/** Load one path given on the command line: a run directory, an .mcap file, or a recording. */
export function loadFileSource(path: string): ViewerSource {
  if (!existsSync(path)) throw new Error(`ballbot view: no such file or directory: ${path}`);
  const root = servedRoot(path);
  const name = basename(root.realPath);
  if (statSync(root.realPath).isDirectory()) {
    const metricsFile = join(root.realPath, 'metrics.csv');
    if (!existsSync(metricsFile)) throw new Error(`ballbot view: ${path} is a directory without metrics.csv (expected a training run directory)`);
    return { kind: 'run', name, root, files: listedFiles(root), metricsFile };
  }
  const files = listedFiles(root);
  if (startsWithMcapMagic(root.realPath)) return { kind: 'mcap', name, root, files, episode: episodeFromMcapFile(root.realPath, name) };
  return { kind: 'recording', name, root, files, episode: episodeFromRecording(readRecording(path), name) };
}

export function sourceInfo(source: ViewerSource, id: number): SourceInfo {
  const info: SourceInfo = { id, kind: source.kind, name: source.name, files: source.kind === 'live' ? [] : source.files };
  if (source.kind === 'mcap' && source.replay) info.replay = true;
  return info;
}

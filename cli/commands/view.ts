// `ballbot view`: serve the browser viewer for recordings, MCAP telemetry, training runs and
// live rollouts on a local port until interrupted.
import { resolve } from 'node:path';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { numberFlag, parseCommand, printJsonLine, UsageError, seedFlag, inputFileFlag } from '../args.js';

const USAGE = `usage: ballbot view [FILE|RUN_DIR ...] [--live --controller lqr | --live --policy FILE.onnx]
                    [--replay [--robot FILE]] [--port N] [--host ADDR] [--json]

Serves a local web page (http://127.0.0.1:8765/ by default) that plays:
  FILE.jsonl       an episode recorded by \`ballbot sim --record\` or \`ballbot eval --record\`
  FILE.mcap        telemetry written by \`ballbot deploy --record\`
  RUN_DIR          a training run directory (plots every numeric column of its metrics.csv)
  --live           a live simulation in real time, driven by the LQR baseline or an ONNX policy
  --replay         also replay each .mcap deploy recording in the simulator (as \`ballbot replay\`)
                   and overlay recorded and replayed tilt, tilt rate, wheel speeds, ball velocity

options:
  --port N             port to listen on (default 8765; 0 picks a free one)
  --host ADDR          address to bind (default 127.0.0.1, this machine only)
  --live               run a live rollout (needs --controller lqr or --policy FILE)
  --controller NAME    live controller: lqr (default when no --policy)
  --policy FILE        live controller: an ONNX policy artifact (run with onnxruntime-node)
  --robot FILE         robot config for the live rollout (default configs/robot/default.yaml), or
                       with --replay the robot to replay on (default: the one the recording names)
  --seed N             live rollout seed (default 1)
  --randomize          live rollout with domain randomization
  --terrain KIND       live terrain: flat (default) or rough (a fractal heightfield)
  --push-every S       mean seconds between random pushes in the live rollout (default 5, 0 = none)
  --push-magnitude V   push size, m/s (default 0.3)
  --json               print {"url", "port", "sources"} as one JSON line once serving`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage: USAGE,
      positionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        live: { type: 'boolean' },
        replay: { type: 'boolean' },
        controller: { type: 'string' },
        policy: { type: 'string' },
        robot: { type: 'string' },
        seed: { type: 'string' },
        randomize: { type: 'boolean' },
        terrain: { type: 'string' },
        'push-every': { type: 'string' },
        'push-magnitude': { type: 'string' },
        json: { type: 'boolean' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const port = numberFlag(v.port, 'port', 8765, { min: 0, max: 65535, integer: true });
  const host = v.host ?? '127.0.0.1';
  const liveOnly = ([...(v.replay ? [] : ['robot'] as const), 'controller', 'policy', 'seed', 'randomize', 'terrain', 'push-every', 'push-magnitude'] as const).filter((flag) => v[flag] !== undefined);
  if (!v.live && liveOnly.length) throw new UsageError(`${liveOnly.map((f) => `--${f}`).join(', ')} need${liveOnly.length === 1 ? 's' : ''} --live\n${USAGE}`);
  if (!v.live && parsed.positionals.length === 0) throw new UsageError(`give a recording, an .mcap file, a run directory, or --live\n${USAGE}`);
  if (v.replay && v.live) throw new UsageError('--replay overlays recorded .mcap files: give it without --live');
  if (v.replay && !parsed.positionals.some((p) => p.endsWith('.mcap'))) throw new UsageError(`--replay needs a deploy recording FILE.mcap\n${USAGE}`);
  if (v.controller && v.policy) throw new UsageError('give --controller lqr or --policy FILE, not both');
  if (v.controller && v.controller !== 'lqr') throw new UsageError(`--controller must be lqr, got '${v.controller}' (use --policy FILE for a learned policy)`);
  if (v.terrain && v.terrain !== 'flat' && v.terrain !== 'rough') throw new UsageError(`--terrain must be flat or rough, got '${v.terrain}'`);

  const { loadFileSource } = await import('../../viewer/server/sources.js');
  type Source = ReturnType<typeof loadFileSource> | { kind: 'live'; name: string; live: import('../../viewer/server/live.js').LiveRollout };
  const sources: Source[] = [];
  try {
    for (const p of parsed.positionals) sources.push(loadFileSource(resolve(p)));
    if (v.replay) {
      const { replayOverlay } = await import('../../viewer/server/replay-overlay.js');
      for (const s of sources) if (s.kind === 'mcap') s.replay = await replayOverlay(s.root.realPath, s.name, v.robot);
    }
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (v.live) {
    const { startLiveRollout } = await import('../../viewer/server/live.js');
    const { livePolicy } = await import('../../viewer/server/live-controllers.js');
    const resolvedRobot = loadRobotConfig(v.robot ?? DEFAULT_ROBOT_CONFIG);
    const seed = seedFlag(v.seed, 1);
    const controller = await livePolicy(v.policy === undefined ? undefined : inputFileFlag(v.policy, 'policy'), resolvedRobot);
    const live = await startLiveRollout({
      plantOptions: { robot: resolvedRobot, seed, randomize: !!v.randomize, terrain: (v.terrain as 'flat' | 'rough' | undefined) ?? 'flat', initTiltDeg: 3 },
      controller,
      seed,
      pushEverySeconds: numberFlag(v['push-every'], 'push-every', 5, { min: 0 }),
      pushMagnitude: numberFlag(v['push-magnitude'], 'push-magnitude', 0.3, { min: 0, max: 5 }),
    });
    sources.push({ kind: 'live', name: controller.name, live });
  }
  const { startViewerServer } = await import('../../viewer/server/server.js');
  const server = await startViewerServer({ sources, host, port });
  console.error(`ballbot view: serving ${sources.map((s) => `${s.kind} ${s.name}`).join(', ')} at ${server.url} (Ctrl-C to stop)`);
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (!loopback) console.error(`ballbot view: warning: bound to ${host}: anyone who can reach port ${server.port} sees these files${v.live ? ' and can push the live sim' : ''} (no authentication)`);
  if (v.json) printJsonLine({ url: server.url, port: server.port, sources: sources.map((s) => ({ kind: s.kind, name: s.name })) });
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  return 0;
}

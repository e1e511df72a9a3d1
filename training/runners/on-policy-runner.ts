// The on-policy runner (rsl_rl's OnPolicyRunner): collect T steps from N envs with the
// current policy, compute GAE, run the PPO update, log, checkpoint, repeat. Rollout and
// update take turns, so a run is bit-reproducible from its config and seed (ppo.mode: sync).
import { RolloutStorage } from '../storage/rollout-storage.js';
import type { PpoAgent } from '../algorithms/ppo.js';
import { extraSizes, PpoRolloutCollector } from './ppo-rollout.js';
import { PpoRun } from './ppo-run.js';
import { envResetSeed, yieldToEventLoop, type RunContext, type TrainedPolicy } from './run-context.js';
import { makeLqrTeacher } from '../tasks.js';

export async function runPpo(ctx: RunContext): Promise<TrainedPolicy & { agent: PpoAgent }> {
  const { config, vec, rng } = ctx;
  const cfg = config.ppo;
  const run = new PpoRun(ctx);
  const { agent, obsSize: od, privSize: pd } = run;
  const N = vec.numEnvs;
  const T = cfg.stepsPerEnv;
  const storage = new RolloutStorage(T, N, od, od + pd, vec.actionSpace.shape[0], extraSizes(run.extras));
  const collector = new PpoRolloutCollector(vec, storage, { obs: run.normalizer, priv: run.privNormalizer, reward: run.rewardScaler }, pd, cfg);
  const imitation = cfg.imitation;
  const teacher = imitation ? await makeLqrTeacher(config.env, N) : null;
  if (teacher) storage.teacherActions = new Float32Array(storage.size * vec.actionSpace.shape[0]);
  collector.teacher = teacher;
  await collector.reset(envResetSeed(config.seed, run.iteration));

  let level: number | null = null;
  while (run.running) {
    const iterStart = performance.now();
    run.scheduleLearningRate();
    // The level is a function of the env steps so far, so a resumed run sets the same one.
    const nextLevel = run.curriculumLevel();
    if (nextLevel !== null && nextLevel !== level) {
      if (!vec.setCurriculumLevel) throw new Error('curriculum: this env has no curriculum level (setCurriculumLevel)');
      await vec.setCurriculumLevel((level = nextLevel));
    }
    // The imitation phase, then PPO (keeping `keep` x the imitation loss, if set); the teacher
    // labels only what an update learns from. DAgger: during the phase the teacher drives a share
    // of the envs that falls linearly from all to none, so the student first learns on the states
    // the teacher keeps it in, then on its own.
    const imitating = imitation !== undefined && run.iteration < imitation.iterations;
    const weight = !imitation ? 0 : imitating ? imitation.coef : imitation.keep;
    agent.imitating = imitating;
    agent.imitationWeight = weight;
    collector.teacher = weight > 0 ? teacher : null;
    collector.teacherDrives = imitating ? Uint8Array.from({ length: N }, () => (rng.next() < 1 - run.iteration / imitation.iterations ? 1 : 0)) : null;
    const episodes = await collector.collect(agent.policy, rng);
    run.addEpisodes(episodes);
    const stats = agent.update(storage, rng);
    const extra = {
      ...(imitation ? { imitation_weight: weight, imitation_loss: stats.imitationLoss } : {}),
      ...(level !== null ? { curriculum_level: level } : {}),
    };
    run.finishIteration(stats, episodes.length, (N * T) / ((performance.now() - iterStart) / 1000), extra);
    await yieldToEventLoop();
  }
  return run.finish();
}

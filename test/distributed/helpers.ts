// Shared pieces of the distributed tests: bounded waits on conditions, tiny trajectories, and
// the sockets of a process (to check it listens on nothing and talks only to Redis).
import { execFileSync } from 'node:child_process';
import type { Trajectory } from '../../training/distributed/transport.js';
import type { LearnerTransport } from '../../training/distributed/transport.js';

/** Resolve once `check` returns a truthy value; reject after `timeoutMs` naming what was awaited. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function trajectory(actorId: string, policyVersion: number, fill: number, length = 4): Trajectory {
  return { actorId, policyVersion, envSteps: length, arrays: { obs: new Float32Array(length).fill(fill), logp: new Float32Array(length).fill(-fill) } };
}

/** Read from the learner until `count` trajectories arrived (bounded). */
export async function drain(learner: LearnerTransport, count: number, timeoutMs = 10_000): Promise<Trajectory[]> {
  const got: Trajectory[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    if (Date.now() > deadline) throw new Error(`received ${got.length} of ${count} trajectories in ${timeoutMs} ms`);
    got.push(...(await learner.nextTrajectories(count - got.length, 200)));
  }
  return got;
}

/** TCP and UDP sockets of a process, from `ss`: addresses it listens on and peers it talks to. */
export function socketsOf(pid: number): { listening: string[]; peers: string[] } {
  const out = execFileSync('ss', ['-Htuanp'], { encoding: 'utf8' });
  const listening: string[] = [];
  const peers: string[] = [];
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const [, state, , , local, peer] = line.trim().split(/\s+/);
    if (state === 'LISTEN' || state === 'UNCONN') listening.push(local);
    else peers.push(peer);
  }
  return { listening, peers };
}

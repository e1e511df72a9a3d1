// The actor-learner transport on one machine: actors are worker threads, messages go over
// their MessagePorts (trajectory arrays are transferred, not copied). Each actor has at most
// one trajectory waiting: pushTrajectory resolves when the learner has taken (or dropped) it,
// so a fast actor waits for the learner instead of piling up stale experience.
import type { ActorTransport, LearnerTransport, PolicyWeights, Trajectory, TransportStatus } from './transport.js';

/** The part of a Worker / MessagePort the transport uses. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

type ToActor = { type: 'weights'; weights: PolicyWeights } | { type: 'taken'; seq: number };
type ToLearner = { type: 'trajectory'; seq: number; trajectory: Trajectory };

interface Queued {
  from: MessageEndpoint;
  seq: number;
  trajectory: Trajectory;
}

export class LocalLearnerTransport implements LearnerTransport {
  private readonly actors = new Map<MessageEndpoint, (m: unknown) => void>();
  private readonly queue: Queued[] = [];
  private wake: (() => void) | null = null;
  private latest: PolicyWeights | null = null;
  private received = 0;
  private droppedStale = 0;

  /** `maxPolicyLag`: trajectories whose policy version is further behind the published one are dropped. */
  constructor(private readonly maxPolicyLag: number) {}

  /** Connect an actor; it gets the newest weights at once. */
  addActor(endpoint: MessageEndpoint): void {
    const listener = (m: unknown) => {
      const msg = m as ToLearner;
      if (msg.type !== 'trajectory') return;
      this.received++;
      this.queue.push({ from: endpoint, seq: msg.seq, trajectory: msg.trajectory });
      this.wake?.();
    };
    endpoint.on('message', listener);
    this.actors.set(endpoint, listener);
    if (this.latest) send(endpoint, { type: 'weights', weights: this.latest });
  }

  /** Disconnect an actor (it exited); its queued trajectories stay usable. */
  removeActor(endpoint: MessageEndpoint): void {
    const listener = this.actors.get(endpoint);
    if (listener) endpoint.off('message', listener);
    this.actors.delete(endpoint);
  }

  async publishWeights(weights: PolicyWeights): Promise<void> {
    this.latest = weights;
    for (const endpoint of this.actors.keys()) send(endpoint, { type: 'weights', weights });
  }

  async nextTrajectories(max: number, timeoutMs: number): Promise<Trajectory[]> {
    if (this.queue.length === 0) await this.waitForTrajectory(timeoutMs);
    const out: Trajectory[] = [];
    const version = this.latest?.version ?? 0;
    while (out.length < max && this.queue.length > 0) {
      const q = this.queue.shift()!;
      if (this.actors.has(q.from)) send(q.from, { type: 'taken', seq: q.seq });
      if (version - q.trajectory.policyVersion > this.maxPolicyLag) this.droppedStale++;
      else out.push(q.trajectory);
    }
    return out;
  }

  status(): TransportStatus {
    return { actorsAlive: this.actors.size, trajectoriesReceived: this.received, trajectoriesDroppedStale: this.droppedStale };
  }

  async close(): Promise<void> {
    for (const endpoint of [...this.actors.keys()]) this.removeActor(endpoint);
    this.wake?.();
  }

  private waitForTrajectory(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}

export class LocalActorTransport implements ActorTransport {
  private latest: PolicyWeights | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, () => void>();
  private readonly listener = (m: unknown) => {
    const msg = m as ToActor;
    if (msg.type === 'weights') this.latest = msg.weights;
    else if (msg.type === 'taken') {
      this.waiting.get(msg.seq)?.();
      this.waiting.delete(msg.seq);
    }
  };

  constructor(private readonly learner: MessageEndpoint) {
    learner.on('message', this.listener);
  }

  async latestWeights(haveVersion: number): Promise<PolicyWeights | null> {
    return this.latest && this.latest.version > haveVersion ? this.latest : null;
  }

  /** Hands the trajectory's arrays over (they are unusable here afterwards); resolves once the learner took it. */
  pushTrajectory(trajectory: Trajectory): Promise<void> {
    const seq = ++this.seq;
    const taken = new Promise<void>((resolve) => this.waiting.set(seq, resolve));
    const buffers = [...new Set(Object.values(trajectory.arrays).map((a) => a.buffer as ArrayBuffer))];
    const msg: ToLearner = { type: 'trajectory', seq, trajectory };
    this.learner.postMessage(msg, buffers);
    return taken;
  }

  async close(): Promise<void> {
    this.learner.off('message', this.listener);
    for (const resolve of this.waiting.values()) resolve();
    this.waiting.clear();
  }
}

function send(endpoint: MessageEndpoint, msg: ToActor): void {
  endpoint.postMessage(msg);
}

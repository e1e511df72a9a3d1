// The part of rclnodejs this link uses, spelled with rclnodejs' own TypeScript declarations,
// and the run-time loader. The real module must satisfy `RclModule` (checked where it is
// loaded below) and so must the test double, so tsc catches any drift in the rclnodejs API.
import { loadOptionalDependency } from '../../../common/optional-dependency.js';
import type * as Rcl from 'rclnodejs';

type RclNamespace = typeof import('rclnodejs');

/** A node as this link uses it: rclnodejs' Node methods, picked by name with their real signatures. */
export type RosNode = Pick<
  Rcl.Node,
  'createPublisher' | 'createSubscription' | 'createService' | 'countPublishers' | 'countSubscribers' | 'spin' | 'destroy'
> & {
  /** Node.now() returns an rclnodejs Time; only its nanoseconds are read. */
  now(): Pick<Rcl.Time, 'nanoseconds'>;
};

/** The module as this link uses it. */
export type RclModule = Pick<RclNamespace, 'init' | 'shutdown' | 'removeSignalHandlers' | 'QoS'> & {
  Node: new (nodeName: string, namespace?: string) => RosNode;
};

export type RosPublisher = Rcl.Publisher<Rcl.TypeClass>;
export type RosSubscription = Rcl.Subscription;
export type RosQoS = Rcl.QoS;

export const ROS2_HOW_TO_ENABLE = [
  'To use the ROS 2 link (deploy --link ros2, virtual-robot --ros2):',
  '  1. source ROS 2 in this shell:          source /opt/ros/$ROS_DISTRO/setup.bash  (e.g. humble, jazzy)',
  '  2. allow and run rclnodejs\' native build: npm install-scripts approve rclnodejs && npm rebuild rclnodejs',
  '  3. generate the message bindings:       npx generate-ros-messages',
  'then run the command again.',
].join('\n');

/** rclnodejs could not be loaded: nothing was armed and no torque was sent. */
export class Ros2UnavailableError extends Error {
  override name = 'Ros2UnavailableError';
  constructor(readonly reason: string) {
    super(`ROS 2 link unavailable: ${reason}.\n${ROS2_HOW_TO_ENABLE}\nNothing was armed; no command was sent.`);
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Replaces `import('rclnodejs')` (tests). */
  importer?: () => Promise<unknown>;
}

/**
 * Load rclnodejs at run time. Without a sourced ROS 2 it is not even imported: its loader
 * would start a node-gyp build that cannot succeed, so the answer would be slow and unclear.
 */
export async function loadRclnodejs(options: LoadOptions = {}): Promise<RclModule> {
  const env = options.env ?? process.env;
  if (!env.ROS_DISTRO || !env.AMENT_PREFIX_PATH) {
    const missing = [!env.ROS_DISTRO && 'ROS_DISTRO', !env.AMENT_PREFIX_PATH && 'AMENT_PREFIX_PATH'].filter(Boolean).join(' and ');
    throw new Ros2UnavailableError(`no ROS 2 environment in this shell (${missing} not set)`);
  }
  let loaded: unknown;
  try {
    loaded = options.importer ? await options.importer() : await importRealRclnodejs();
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0];
    throw new Ros2UnavailableError(`rclnodejs failed to load for ROS ${env.ROS_DISTRO} (${first})`);
  }
  const mod = unwrapDefault(loaded);
  if (typeof mod.init !== 'function' || typeof mod.Node !== 'function' || typeof mod.QoS !== 'function') {
    throw new Ros2UnavailableError('the loaded rclnodejs module lacks init/Node/QoS (unexpected version?)');
  }
  return mod;
}

async function importRealRclnodejs(): Promise<RclModule> {
  const ns = await loadOptionalDependency('rclnodejs', 'the ROS 2 link', () => import('rclnodejs'));
  // rclnodejs' ESM build has only a default export; its declarations describe named exports.
  const real: RclNamespace = (ns as RclNamespace & { default?: RclNamespace }).default ?? ns;
  // This assignment is the compile-time proof that the real module provides what the link uses.
  const used: RclModule = real;
  return used;
}

function unwrapDefault(loaded: unknown): RclModule {
  const mod = loaded as RclModule & { default?: RclModule };
  return mod && typeof mod === 'object' && 'default' in mod && mod.default ? mod.default : mod;
}

/**
 * rclnodejs has one default context per process: init it once, shut it down after the last
 * user (the link and the virtual robot may share a process in tests).
 */
const users = new WeakMap<RclModule, { count: number; ready: Promise<void> }>();

export async function acquireRcl(rcl: RclModule): Promise<void> {
  let entry = users.get(rcl);
  if (!entry) {
    entry = { count: 0, ready: rcl.init() };
    users.set(rcl, entry);
    // Our own SIGINT path sends zero torque and the e-stop before shutdown; rclnodejs' handler
    // would shut the context down first and make those last messages impossible.
    rcl.removeSignalHandlers();
  }
  entry.count++;
  try {
    await entry.ready;
  } catch (err) {
    entry.count--;
    users.delete(rcl);
    throw err;
  }
}

export function releaseRcl(rcl: RclModule): void {
  const entry = users.get(rcl);
  if (!entry) return;
  if (--entry.count <= 0) {
    users.delete(rcl);
    rcl.shutdown();
  }
}

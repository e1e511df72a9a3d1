// One way to load a package that may be missing or fail to load on this machine (rclnodejs
// without ROS 2, tfjs-node without its native library, onnxruntime-node without its binary).
// The caller passes a literal import, so the module's type is checked at compile time, and a
// failure becomes one clear message that names the package and what needed it.

export class OptionalDependencyError extends Error {
  override name = 'OptionalDependencyError';
  constructor(readonly packageName: string, readonly neededBy: string, readonly reason: string) {
    super(`${neededBy} needs the npm package '${packageName}', which did not load: ${reason}`);
  }
}

export async function loadOptionalDependency<T>(packageName: string, neededBy: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200);
    throw new OptionalDependencyError(packageName, neededBy, first);
  }
}

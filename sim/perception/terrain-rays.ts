// Ray casts against one robot's ground: its Rapier terrain heightfield (cast on the
// collider itself, so a patch created at reset is visible before the next physics step)
// and, past the patch or on flat ground, the shared slab whose top is the plane z = 0.
import RAPIER from '@dimforge/rapier3d-compat';

export class TerrainRays {
  /** Rays cast since construction (for throughput figures). */
  count = 0;
  private readonly ray = new RAPIER.Ray({ x: 0, y: 0, z: 0 }, { x: 0, y: 0, z: -1 });

  /** Distance along the unit direction d from o to the ground, or Infinity if beyond maxDist. */
  cast(terrain: RAPIER.Collider | null, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, maxDist: number): number {
    this.count++;
    const o = this.ray.origin, d = this.ray.dir;
    o.x = ox; o.y = oy; o.z = oz;
    d.x = dx; d.y = dy; d.z = dz;
    if (terrain) {
      const t = terrain.castRay(this.ray, maxDist, true);
      if (t >= 0) return t;
    }
    if (oz <= 0) return 0; // the origin is inside the slab
    if (dz >= 0) return Infinity;
    const t = -oz / dz;
    return t <= maxDist ? t : Infinity;
  }
}

// The three.js scene: terrain, the ballbot (ball with a pattern that shows its rotation,
// body column, three omniwheels that turn with the recorded wheel speeds), the commanded
// velocity and push arrows. World frame as in the sim: z up, x forward.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { EpisodeRobot, EpisodeTerrain } from './episode.js';

const DEG = Math.PI / 180;

export interface RobotPose {
  ballPosition: number[];
  ballOrientation?: number[];
  bodyOrientation?: number[];
  /** Accumulated wheel angles, rad. */
  wheelAngles: number[];
  /** Commanded (vx, vy, yawRate) in the heading frame. */
  command?: number[];
  /** Active push (dv in m/s, world x/y), or null. */
  push: number[] | null;
}

function ballMesh(radius: number): THREE.Mesh {
  // Beach-ball octants: two colours alternate so any rotation is visible.
  const geometry = new THREE.SphereGeometry(radius, 48, 24);
  const pos = geometry.getAttribute('position');
  const colors = new Float32Array(pos.count * 3);
  const a = new THREE.Color('#e8643c'), b = new THREE.Color('#f1efe8');
  for (let i = 0; i < pos.count; i++) {
    const c = Math.sign(pos.getX(i) + 1e-9) * Math.sign(pos.getY(i) + 1e-9) * Math.sign(pos.getZ(i) + 1e-9) > 0 ? a : b;
    colors.set([c.r, c.g, c.b], i * 3);
  }
  geometry.setAttribute('color', new THREE.BufferAttribute(colors, 3));
  return new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ vertexColors: true, roughness: 0.6, flatShading: false }));
}

function terrainMesh(terrain: EpisodeTerrain): THREE.Object3D {
  const group = new THREE.Group();
  if (terrain.kind === 'flat') {
    const plane = new THREE.Mesh(new THREE.PlaneGeometry(60, 60), new THREE.MeshStandardMaterial({ color: '#3b4350', roughness: 0.95 }));
    plane.receiveShadow = true;
    group.add(plane);
    const grid = new THREE.GridHelper(60, 120, '#5b6573', '#4a525e');
    grid.rotation.x = Math.PI / 2; // GridHelper lies in XZ; the sim's ground is XY
    grid.position.z = 0.001;
    group.add(grid);
    return group;
  }
  const { rows, cols, sizeX, sizeY, heights } = terrain;
  const geometry = new THREE.PlaneGeometry(sizeX, sizeY, cols - 1, rows - 1);
  const pos = geometry.getAttribute('position');
  // PlaneGeometry rows run from +y/2 down to -y/2; recording rows run up from -y/2.
  let lo = Infinity, hi = -Infinity;
  for (const h of heights) { lo = Math.min(lo, h); hi = Math.max(hi, h); }
  const colors = new Float32Array(pos.count * 3);
  const low = new THREE.Color('#33404f'), high = new THREE.Color('#8f9a7a'), c = new THREE.Color();
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const k = r * cols + j;
      const h = heights[(rows - 1 - r) * cols + j];
      pos.setZ(k, h);
      c.copy(low).lerp(high, hi > lo ? (h - lo) / (hi - lo) : 0.5);
      colors.set([c.r, c.g, c.b], k * 3);
    }
  }
  geometry.setAttribute('color', new THREE.BufferAttribute(colors, 3));
  geometry.computeVertexNormals();
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ vertexColors: true, roughness: 0.9, flatShading: true }));
  mesh.receiveShadow = true;
  group.add(mesh);
  return group;
}

export class BallbotScene {
  readonly renderer: THREE.WebGLRenderer;
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  private readonly scene = new THREE.Scene();
  private readonly ball: THREE.Mesh;
  private readonly body = new THREE.Group();
  private readonly wheelSpinners: THREE.Object3D[] = [];
  private readonly commandArrow: THREE.ArrowHelper;
  private readonly pushArrow: THREE.ArrowHelper;
  private readonly followTarget = new THREE.Vector3();
  private hasFollowTarget = false;
  follow = true;

  constructor(readonly canvas: HTMLCanvasElement, readonly robot: EpisodeRobot, terrain: EpisodeTerrain) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.shadowMap.enabled = true;
    this.scene.background = new THREE.Color('#1b1f26');
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.02, 200);
    this.camera.up.set(0, 0, 1);
    const size = robot.ballRadius + 2 * robot.comHeight;
    this.camera.position.set(size * 2.2, -size * 3.2, size * 1.6);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0, size * 0.45);
    this.controls.enableDamping = false;
    this.controls.update();

    this.scene.add(new THREE.HemisphereLight('#dfe8ff', '#30343a', 1.6));
    const sun = new THREE.DirectionalLight('#ffffff', 2.2);
    sun.position.set(3, -2, 6);
    sun.castShadow = true;
    sun.shadow.mapSize.set(1024, 1024);
    const s = 2;
    Object.assign(sun.shadow.camera, { left: -s, right: s, top: s, bottom: -s, near: 0.1, far: 20 });
    this.scene.add(sun, sun.target);
    this.scene.add(terrainMesh(terrain));

    this.ball = ballMesh(robot.ballRadius);
    this.ball.castShadow = true;
    this.scene.add(this.ball);
    this.buildBody();
    this.scene.add(this.body);

    this.commandArrow = new THREE.ArrowHelper(new THREE.Vector3(1, 0, 0), new THREE.Vector3(), 0.3, 0x4ade80, 0.08, 0.05);
    this.pushArrow = new THREE.ArrowHelper(new THREE.Vector3(1, 0, 0), new THREE.Vector3(), 0.3, 0x5aa9ff, 0.1, 0.06);
    this.commandArrow.visible = this.pushArrow.visible = false;
    this.scene.add(this.commandArrow, this.pushArrow);
    this.resize();
  }

  private buildBody(): void {
    const { ballRadius: R, comHeight: h, wheelRadius: rw, zenithDeg, azimuthsDeg } = this.robot;
    const metal = new THREE.MeshStandardMaterial({ color: '#9aa4b2', metalness: 0.5, roughness: 0.4 });
    const dark = new THREE.MeshStandardMaterial({ color: '#2d333c', roughness: 0.7 });
    const top = 2 * h + R * 0.2;
    const base = R + rw * 1.2;
    // Column from above the wheels to twice the CoM height (a uniform column has its CoM midway).
    const column = new THREE.Mesh(new THREE.CylinderGeometry(R * 0.35, R * 0.45, top - base, 24), metal);
    column.rotation.x = Math.PI / 2;
    column.position.z = (top + base) / 2;
    column.castShadow = true;
    const deck = new THREE.Mesh(new THREE.CylinderGeometry(R * 1.05, R * 1.05, R * 0.12, 32), dark);
    deck.rotation.x = Math.PI / 2;
    deck.position.z = base + R * 0.06;
    deck.castShadow = true;
    const head = new THREE.Mesh(new THREE.BoxGeometry(R * 1.2, R * 0.9, R * 0.4), new THREE.MeshStandardMaterial({ color: '#5aa9ff', roughness: 0.5 }));
    head.position.set(R * 0.15, 0, top); // offset forward (+x) so heading is visible
    head.castShadow = true;
    const com = new THREE.Mesh(new THREE.SphereGeometry(R * 0.18, 16, 12), new THREE.MeshStandardMaterial({ color: '#facc15' }));
    com.position.z = h;
    this.body.add(column, deck, head, com);
    const a = zenithDeg * DEG;
    const yAxis = new THREE.Vector3(0, 1, 0);
    azimuthsDeg.forEach((bDeg) => {
      const b = bDeg * DEG;
      const n = new THREE.Vector3(Math.sin(a) * Math.cos(b), Math.sin(a) * Math.sin(b), Math.cos(a));
      // Drive axis: the wheel turns about u = (-cos a cos b, -cos a sin b, sin a), perpendicular to n.
      const u = new THREE.Vector3(-Math.cos(a) * Math.cos(b), -Math.cos(a) * Math.sin(b), Math.sin(a));
      const mount = new THREE.Group();
      mount.position.copy(n).multiplyScalar(R + rw);
      mount.quaternion.setFromUnitVectors(yAxis, u);
      const spinner = new THREE.Group();
      const tyre = new THREE.Mesh(new THREE.CylinderGeometry(rw, rw, rw * 0.7, 24), dark);
      const spoke = new THREE.Mesh(new THREE.BoxGeometry(rw * 1.9, rw * 0.75, rw * 0.25), new THREE.MeshStandardMaterial({ color: '#f97316' }));
      tyre.castShadow = true;
      spinner.add(tyre, spoke);
      mount.add(spinner);
      this.wheelSpinners.push(spinner);
      // Motor bracket from the deck down to the wheel.
      const from = new THREE.Vector3(n.x * R * 0.6, n.y * R * 0.6, base);
      const to = mount.position.clone();
      const strut = new THREE.Mesh(new THREE.CylinderGeometry(rw * 0.18, rw * 0.18, from.distanceTo(to), 8), metal);
      strut.position.copy(from).add(to).multiplyScalar(0.5);
      strut.quaternion.setFromUnitVectors(yAxis, to.clone().sub(from).normalize());
      this.body.add(mount, strut);
    });
  }

  resize(): void {
    const w = this.canvas.clientWidth || 640, h = this.canvas.clientHeight || 480;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  setPose(p: RobotPose): void {
    const [x, y, z] = p.ballPosition;
    this.ball.position.set(x, y, z);
    if (p.ballOrientation) this.ball.quaternion.set(p.ballOrientation[0], p.ballOrientation[1], p.ballOrientation[2], p.ballOrientation[3]);
    this.body.position.set(x, y, z);
    if (p.bodyOrientation) this.body.quaternion.set(p.bodyOrientation[0], p.bodyOrientation[1], p.bodyOrientation[2], p.bodyOrientation[3]);
    this.wheelSpinners.forEach((w, i) => (w.rotation.y = p.wheelAngles[i] ?? 0));

    const cmd = p.command;
    const speed = cmd ? Math.hypot(cmd[0], cmd[1]) : 0;
    this.commandArrow.visible = speed > 1e-3;
    if (cmd && this.commandArrow.visible) {
      // The command is in the heading frame: rotate it by the body's yaw.
      const yaw = new THREE.Euler().setFromQuaternion(this.body.quaternion, 'ZYX').z;
      const dir = new THREE.Vector3(cmd[0], cmd[1], 0).applyAxisAngle(new THREE.Vector3(0, 0, 1), yaw).normalize();
      this.commandArrow.position.set(x, y, 0.01);
      this.commandArrow.setDirection(dir);
      this.commandArrow.setLength(0.25 + speed * 0.8, 0.08, 0.05);
    }
    this.pushArrow.visible = !!p.push;
    if (p.push) {
      const mag = Math.hypot(p.push[0], p.push[1]) || 1;
      const dir = new THREE.Vector3(p.push[0] / mag, p.push[1] / mag, 0);
      const len = 0.2 + mag * 0.6;
      const comWorld = new THREE.Vector3(0, 0, this.robot.comHeight).applyQuaternion(this.body.quaternion).add(this.body.position);
      this.pushArrow.position.copy(comWorld).addScaledVector(dir, -len - this.robot.ballRadius * 0.5);
      this.pushArrow.setDirection(dir);
      this.pushArrow.setLength(len, 0.1, 0.06);
    }

    const target = new THREE.Vector3(x, y, 0);
    if (this.follow && this.hasFollowTarget) {
      const delta = target.clone().sub(this.followTarget);
      this.camera.position.add(delta);
      this.controls.target.add(delta);
    }
    this.followTarget.copy(target);
    this.hasFollowTarget = true;
  }

  /** World position of the body frame (ball centre) as drawn. */
  bodyPosition(): number[] {
    return this.body.position.toArray();
  }

  render(): void {
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
  }
}

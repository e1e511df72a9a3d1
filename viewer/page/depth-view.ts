// The last depth frame as a small grayscale image beside the 3D scene: near is bright, far is
// dark, a pixel with no reading (0, the dropout sentinel) is dark red. Drawn only when the
// frame to show changes.
import type { DepthImage } from './episode.js';

export class DepthView {
  private shown: DepthImage | null = null;
  private image: ImageData | null = null;
  private readonly g: CanvasRenderingContext2D;

  constructor(readonly canvas: HTMLCanvasElement, readonly label: HTMLElement) {
    this.g = canvas.getContext('2d')!;
  }

  /** The frame now on screen (null: none). */
  get current(): DepthImage | null { return this.shown; }

  show(depth: DepthImage | undefined): void {
    const d = depth ?? null;
    if (d === this.shown) return;
    this.shown = d;
    this.canvas.parentElement!.hidden = d === null;
    if (!d) return;
    if (this.canvas.width !== d.width || this.canvas.height !== d.height || !this.image) {
      this.canvas.width = d.width;
      this.canvas.height = d.height;
      this.image = this.g.createImageData(d.width, d.height);
    }
    const px = this.image.data;
    for (let i = 0; i < d.width * d.height; i++) {
      const m = d.data[i];
      const o = 4 * i;
      if (!(m > 0)) { px[o] = 90; px[o + 1] = 20; px[o + 2] = 20; }
      else {
        const v = Math.round(255 * (1 - Math.min(1, m / d.maxRange)));
        px[o] = v; px[o + 1] = v; px[o + 2] = v;
      }
      px[o + 3] = 255;
    }
    this.g.putImageData(this.image, 0, 0);
    this.label.textContent = `depth ${d.width}x${d.height}, 0-${d.maxRange} m`;
  }
}

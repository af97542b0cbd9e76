/** Keyboard and mouse for the arena: WASD / arrows, aim with the mouse, click fires, B builds. */
export class Controls {
  readonly mouse = { x: 0, y: 0, inside: false };
  private readonly keys = new Set<string>();
  private fire: () => void = () => undefined;
  private build: () => void = () => undefined;
  private chat: () => void = () => undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly worldW: number,
    private readonly worldH: number,
  ) {
    const typing = () => document.activeElement instanceof HTMLInputElement;
    addEventListener('keydown', (e) => {
      if (typing()) return;
      this.keys.add(e.code);
      if (e.code === 'KeyB' && !e.repeat) this.build();
      if (e.code === 'Enter') {
        e.preventDefault();
        this.chat();
      }
      if (e.code.startsWith('Arrow') || e.code === 'Space') e.preventDefault();
    });
    addEventListener('keyup', (e) => this.keys.delete(e.code));
    addEventListener('blur', () => this.keys.clear());
    canvas.addEventListener('mousemove', (e) => this.track(e));
    canvas.addEventListener('mouseleave', () => (this.mouse.inside = false));
    canvas.addEventListener('mousedown', (e) => {
      this.track(e);
      if (e.button === 0) this.fire();
    });
  }

  private track(e: MouseEvent): void {
    // The canvas is scaled to fit (object-fit: contain): map client pixels to world units.
    const rect = this.canvas.getBoundingClientRect();
    const scale = Math.min(rect.width / this.worldW, rect.height / this.worldH);
    const offX = (rect.width - this.worldW * scale) / 2;
    const offY = (rect.height - this.worldH * scale) / 2;
    this.mouse.x = (e.clientX - rect.left - offX) / scale;
    this.mouse.y = (e.clientY - rect.top - offY) / scale;
    this.mouse.inside = true;
  }

  direction(): { dx: number; dy: number } {
    const k = this.keys;
    const dx = (k.has('KeyD') || k.has('ArrowRight') ? 1 : 0) - (k.has('KeyA') || k.has('ArrowLeft') ? 1 : 0);
    const dy = (k.has('KeyS') || k.has('ArrowDown') ? 1 : 0) - (k.has('KeyW') || k.has('ArrowUp') ? 1 : 0);
    return { dx, dy };
  }

  onFire(fn: () => void): void {
    this.fire = fn;
  }

  onBuild(fn: () => void): void {
    this.build = fn;
  }

  onChat(fn: () => void): void {
    this.chat = fn;
  }
}

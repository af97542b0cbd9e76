/** A small typed event emitter (the SDK runs in browsers too, so no node:events). */
export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly handlers = new Map<keyof Events, Set<(...args: never[]) => void>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof Events>(name: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(fn as unknown as (...args: never[]) => void);
    return () => this.off(name, fn);
  }

  once<K extends keyof Events>(name: K, fn: (...args: Events[K]) => void): () => void {
    const off = this.on(name, (...args) => {
      off();
      fn(...args);
    });
    return off;
  }

  off<K extends keyof Events>(name: K, fn: (...args: Events[K]) => void): void {
    this.handlers.get(name)?.delete(fn as unknown as (...args: never[]) => void);
  }

  protected emit<K extends keyof Events>(name: K, ...args: Events[K]): void {
    const set = this.handlers.get(name);
    if (!set) return;
    for (const fn of [...set]) (fn as unknown as (...a: Events[K]) => void)(...args);
  }
}

/**
 * Every timer a node or link starts goes through one TimerSet, so close() can clear them all and a
 * hundred redeploys leave nothing behind (docs/design.md §5: "Redeploy and removal close every port, socket and timer").
 */
export class TimerSet {
  private readonly handles = new Set<NodeJS.Timeout>();
  private closed = false;

  timeout(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const handle: NodeJS.Timeout = setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, ms);
    this.handles.add(handle);
    return handle;
  }

  interval(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const handle = setInterval(fn, ms);
    this.handles.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    clearInterval(handle);
    this.handles.delete(handle);
  }

  /** Resolves after ms unless the set is closed first (then it resolves early). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.timeout(resolve, ms) === undefined) resolve();
    });
  }

  get size(): number {
    return this.handles.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const handle of this.handles) {
      clearTimeout(handle);
      clearInterval(handle);
    }
    this.handles.clear();
  }
}

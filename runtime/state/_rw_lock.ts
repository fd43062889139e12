/**
 * A first-come-first-served readers-writer lock. The Deno KV backend holds
 * the write side while it commits or recovers a function, so that a reader
 * never sees a commit half applied.
 * @module
 */

interface Waiter {
  write: boolean;
  wake: () => void;
}

/** Many readers or one writer, granted in arrival order (writers do not starve). */
export class RwLock {
  #readers = 0;
  #writing = false;
  readonly #queue: Waiter[] = [];

  /** Runs `work` while holding the read side. */
  async read<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire(false);
    try {
      return await work();
    } finally {
      this.#readers--;
      this.#drain();
    }
  }

  /** Runs `work` while holding the write side. */
  async write<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire(true);
    try {
      return await work();
    } finally {
      this.#writing = false;
      this.#drain();
    }
  }

  #acquire(write: boolean): Promise<void> {
    return new Promise((wake) => {
      this.#queue.push({ write, wake });
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#queue.length > 0 && !this.#writing) {
      const head = this.#queue[0];
      if (head.write) {
        if (this.#readers > 0) return;
        this.#queue.shift();
        this.#writing = true;
        head.wake();
        return;
      }
      this.#queue.shift();
      this.#readers++;
      head.wake();
    }
  }
}

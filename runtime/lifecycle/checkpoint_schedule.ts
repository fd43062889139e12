/**
 * When a running function takes its next checkpoint: every interval, and
 * as soon as possible after someone asked for one (the gRPC trigger), whose
 * promise settles with that checkpoint.
 * @module
 */

interface Waiter {
  resolve: (id: number) => void;
  reject: (error: unknown) => void;
}

/** Decides when checkpoints are due; the runner asks between batches. */
export class CheckpointSchedule {
  readonly #intervalMs: number;
  #next: number;
  #waiting: Waiter[] = [];
  #inFlight: Waiter[] = [];

  /** Starts the schedule at `now`: the first checkpoint falls due one interval later. */
  constructor(intervalMs: number, now: number) {
    this.#intervalMs = intervalMs;
    this.#next = now + intervalMs;
  }

  /** True when a checkpoint should be taken now. */
  due(now: number): boolean {
    return now >= this.#next || this.#waiting.length > 0;
  }

  /** Asks for a checkpoint; resolves with the id of the first one that begins after this call. */
  request(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
    });
  }

  /** Whether someone is waiting for a checkpoint. */
  get requested(): boolean {
    return this.#waiting.length > 0;
  }

  /** The interval passed with nothing to checkpoint: wait another interval. */
  skip(now: number): void {
    this.#next = now + this.#intervalMs;
  }

  /** A checkpoint begins: the requests made so far are answered by it. */
  begin(): void {
    this.#inFlight.push(...this.#waiting);
    this.#waiting = [];
  }

  /** The checkpoint that began last is complete at `now`. */
  done(id: number, now: number): void {
    for (const waiter of this.#inFlight) waiter.resolve(id);
    this.#inFlight = [];
    this.#next = now + this.#intervalMs;
  }

  /** The checkpoint failed, or the function stopped: every request fails with `error`. */
  fail(error: unknown): void {
    for (const waiter of [...this.#inFlight, ...this.#waiting]) {
      waiter.reject(error);
    }
    this.#inFlight = [];
    this.#waiting = [];
  }
}

/**
 * The restart policy of one function, without I/O: how long to wait before
 * the next restart (exponential backoff), and when to give up.
 * @module
 */

/** Options for {@link RestartPolicy}. */
export interface RestartPolicyOptions {
  /** Restarts allowed within the window; the failure after them gives up. */
  maxRestarts: number;
  /** How long a restart counts against `maxRestarts`, in ms. */
  windowMs: number;
  /** Wait before the first restart in the window, in ms; doubled for each further one. */
  backoffMs: number;
  /** The longest wait, in ms. */
  maxBackoffMs: number;
}

/** What to do after a failure. */
export type RestartDecision =
  | {
    restart: true;
    /** How long to wait before starting again, in ms. */
    delayMs: number;
    /** Which restart this is within the window (1 = first). */
    attempt: number;
  }
  | {
    restart: false;
    /** Why the policy gave up, for the function's last error. */
    reason: string;
  };

/** Counts restarts in a sliding window and spaces them out. */
export class RestartPolicy {
  readonly #options: RestartPolicyOptions;
  #restarts: number[] = [];

  /** Creates a policy with no restarts yet. */
  constructor(options: RestartPolicyOptions) {
    this.#options = options;
  }

  /** Decides what follows a failure at `now`, and counts the restart it allows. */
  onFailure(now: number): RestartDecision {
    const { maxRestarts, windowMs, backoffMs, maxBackoffMs } = this.#options;
    this.#restarts = this.#restarts.filter((at) => now - at < windowMs);
    const done = this.#restarts.length;
    if (done >= maxRestarts) {
      const seconds = Math.round(windowMs / 100) / 10;
      return {
        restart: false,
        reason: maxRestarts === 0
          ? "gave up at the first failure as max_restarts is 0"
          : `gave up after ${done} restart${
            done === 1 ? "" : "s"
          } within ${seconds} s (max_restarts ${maxRestarts})`,
      };
    }
    this.#restarts.push(now);
    return {
      restart: true,
      delayMs: Math.min(maxBackoffMs, backoffMs * 2 ** done),
      attempt: done + 1,
    };
  }
}

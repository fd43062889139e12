/**
 * When to call `check_heartbeat`, and what counts as a failed heartbeat:
 * False, an exception, or no answer within the deadline.
 * @module
 */
import { FsError } from "../core/mod.ts";

/** The part of an isolate a heartbeat needs. */
export interface HeartbeatTarget {
  /** Calls `check_heartbeat(ctx)`. */
  checkHeartbeat(): Promise<boolean>;
  /** Kills the worker at once. */
  terminate(): void;
}

/** Decides when the next heartbeat is due; the runner asks between batches. */
export class HeartbeatSchedule {
  readonly #intervalMs: number;
  #next: number;

  /** Starts the schedule at `now`; an interval of 0 never falls due. */
  constructor(intervalMs: number, now: number) {
    this.#intervalMs = intervalMs;
    this.#next = now + intervalMs;
  }

  /** True when a heartbeat should be sent now. */
  due(now: number): boolean {
    return this.#intervalMs > 0 && now >= this.#next;
  }

  /** Records that a heartbeat finished at `now`. */
  done(now: number): void {
    this.#next = now + this.#intervalMs;
  }
}

/**
 * Calls `check_heartbeat` and resolves when it answered True (or None).
 *
 * @throws {FsError} USER_CODE when it answered False, raised (the isolate's
 * error, with the traceback) or did not answer within `timeoutMs` (the
 * worker is then terminated).
 */
export async function checkHeartbeat(
  target: HeartbeatTarget,
  options: { functionName: string; timeoutMs: number },
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), options.timeoutMs);
  });
  try {
    const answer = await Promise.race([target.checkHeartbeat(), late]);
    if (answer === "late") {
      target.terminate();
      throw new FsError(
        "USER_CODE",
        `Cannot finish check_heartbeat() of function '${options.functionName}' within ${options.timeoutMs} ms: its worker is restarted`,
      );
    }
    if (!answer) {
      throw new FsError(
        "USER_CODE",
        `Function '${options.functionName}' asked for a restart: check_heartbeat() returned False`,
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

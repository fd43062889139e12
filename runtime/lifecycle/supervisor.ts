/**
 * What happens when a function fails: the error is logged with its Python
 * traceback and counted, and the restart policy either schedules a restart
 * after its backoff or gives up, with a last error that says why. A memory
 * limit failure is never restarted and does not use up the policy.
 * @module
 */
import {
  type Logger,
  messageOf,
  type SupervisionSettings,
} from "../core/mod.ts";
import type { FunctionMetrics } from "../metrics/mod.ts";
import { MemoryLimitError } from "../isolate/mod.ts";
import { type RestartDecision, RestartPolicy } from "./restart_policy.ts";

/** Options for {@link FunctionSupervisor}. */
export interface SupervisorOptions {
  /** The function supervised (names it in every log line). */
  functionName: string;
  /** The server log. */
  logger: Logger;
  /** Counts failures. */
  metrics: FunctionMetrics;
  /** Called when a scheduled restart is due (the engine starts the function again). */
  restart: () => void;
}

/** What a failure leads to. */
export interface FailureOutcome {
  /** RESTARTING when a restart is scheduled, FAILED when the policy gave up. */
  status: "RESTARTING" | "FAILED";
  /** The function's new last error: a one-line summary, then the full text. */
  lastError: string;
}

/**
 * A one-line summary of an error: for a Python traceback, its last line
 * (`ValueError: boom`) and the hook it came from; otherwise the first line.
 */
export function briefError(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l);
  if (lines.length <= 1) return lines[0] ?? "unknown error";
  const hook = /Cannot (?:finish|import) (\w+)\(\)/.exec(lines[0])?.[1];
  const last = lines[lines.length - 1];
  return hook === undefined ? `${lines[0]} ${last}` : `${last} (in ${hook}())`;
}

/**
 * Why a function over its memory limit is not restarted: it resumes from
 * its last committed input, so the same records would exceed the limit
 * again, each time after a full isolate start.
 */
export const MEMORY_LIMIT_REASON =
  "memory limit exceeded: not restarted, as the same input would exceed it again; raise memory_limit_mb (or the server's --function-memory-mb) and start the function";

/** Watches one function: counts its failures and schedules its restarts. */
export class FunctionSupervisor {
  readonly #options: SupervisorOptions;
  #policy: RestartPolicy | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #errorCount = 0;
  #restartCount = 0;

  /** Creates a supervisor; {@link FunctionSupervisor.reset} gives it a policy. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** Failures since the server started. */
  get errorCount(): number {
    return this.#errorCount;
  }

  /** Restarts scheduled since the server started. */
  get restartCount(): number {
    return this.#restartCount;
  }

  /** Starts a fresh policy (a user started the function); cancels a pending restart. */
  reset(settings: SupervisionSettings): void {
    this.cancel();
    this.#policy = new RestartPolicy({
      maxRestarts: settings.maxRestarts,
      windowMs: settings.restartWindowMs,
      backoffMs: settings.restartBackoffMs,
      maxBackoffMs: settings.restartBackoffMaxMs,
    });
  }

  /** Keeps the current policy, or starts one if there is none yet. */
  ensure(settings: SupervisionSettings): void {
    if (this.#policy === null) this.reset(settings);
  }

  /** Logs and counts a failure, then schedules a restart or gives up. */
  failed(error: unknown): FailureOutcome {
    const { functionName, logger, metrics } = this.#options;
    const message = messageOf(error);
    const brief = briefError(message);
    this.#errorCount++;
    metrics.functionFailed(functionName);
    logger.log("error", "function error", {
      function: functionName,
      error: message,
      errors: this.#errorCount,
    });
    const decision: RestartDecision = error instanceof MemoryLimitError
      ? { restart: false, reason: MEMORY_LIMIT_REASON }
      : this.#policy?.onFailure(Date.now()) ??
        {
          restart: false,
          reason: "no restart policy (the config did not load)",
        };
    if (!decision.restart) {
      const lastError = `${brief}; ${decision.reason}\n${message}`;
      logger.log("error", "function failed", {
        function: functionName,
        error: `${brief}; ${decision.reason}`,
      });
      return { status: "FAILED", lastError };
    }
    this.#restartCount++;
    logger.log("warn", "function restarting", {
      function: functionName,
      attempt: decision.attempt,
      delayMs: decision.delayMs,
      error: brief,
    });
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#options.restart();
    }, decision.delayMs);
    return { status: "RESTARTING", lastError: `${brief}\n${message}` };
  }

  /** Cancels a scheduled restart, if any. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

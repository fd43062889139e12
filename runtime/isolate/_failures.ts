/**
 * How the host words a failed call, by what failed.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { CallFailure, HookCall } from "./protocol.ts";

/** Python names of the hooks, by call. */
export const HOOK_NAMES: Record<HookCall["hook"] | "start", string> = {
  start: "init",
  process: "process",
  processWatermark: "process_watermark",
  takeCheckpoint: "take_checkpoint",
  restoreCheckpoint: "restore_checkpoint",
  checkHeartbeat: "check_heartbeat",
  close: "close",
  custom: "custom",
};

/**
 * A call failed because the function reached its memory limit (the cap
 * refused to grow the heap during the call). Code LIMIT_EXCEEDED; the
 * message contains "memory limit exceeded".
 */
export class MemoryLimitError extends FsError {
  /** The limit that was reached, in bytes (0 when unknown). */
  readonly limitBytes: number;

  /** Creates the error for `hook` of function `fn`; `text` is the traceback or cause. */
  constructor(
    fn: string,
    hook: string,
    options: { limitBytes: number; text: string },
  ) {
    const limit = options.limitBytes > 0
      ? `${Math.round(options.limitBytes / 1048576)} MiB`
      : "unknown size";
    super(
      "LIMIT_EXCEEDED",
      `Cannot finish ${hook}() of function '${fn}' as it needs more memory than its limit of ${limit} (memory limit exceeded):\n${options.text}`,
    );
    this.name = "MemoryLimitError";
    this.limitBytes = options.limitBytes;
  }
}

/** The FsError a failed call rejects with. */
export function failureError(
  fn: string,
  hook: string,
  error: CallFailure,
): FsError {
  if (error.kind === "module") {
    return new FsError(
      "USER_CODE",
      `Cannot start function '${fn}' as its modules cannot run: ${error.text}`,
    );
  }
  if (error.kind === "state") {
    return new FsError(
      "UNAVAILABLE",
      `Cannot finish ${error.hook}() of function '${fn}' as a state read failed:\n${error.text}`,
    );
  }
  if (error.kind === "internal") {
    return new FsError(
      "INTERNAL",
      `Cannot finish ${hook}() of function '${fn}' as the runtime failed:\n${error.text}`,
    );
  }
  const what = error.hook === "import"
    ? `import the modules of function '${fn}'`
    : `finish ${error.hook}() of function '${fn}'`;
  return new FsError(
    "USER_CODE",
    `Cannot ${what} as the operator raised:\n${error.text}`,
  );
}

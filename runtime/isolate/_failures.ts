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

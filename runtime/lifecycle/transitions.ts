/**
 * The one table of legal lifecycle transitions, and the one function that
 * applies them.
 * @module
 */
import { FsError, type FunctionStatus } from "../core/mod.ts";

/** For each status, the statuses a function may move to from it. */
export const TRANSITIONS: Readonly<
  Record<FunctionStatus, readonly FunctionStatus[]>
> = {
  CREATED: ["STARTING", "STOPPED"],
  STARTING: ["RUNNING", "FAILED", "STOPPING", "RESTARTING"],
  RUNNING: ["STOPPING", "FAILED", "RESTARTING"],
  STOPPING: ["STOPPED", "FAILED"],
  STOPPED: ["STARTING"],
  FAILED: ["STARTING", "STOPPED"],
  // A restart starts again after its backoff, or gives up, or is stopped.
  RESTARTING: ["STARTING", "FAILED", "STOPPED"],
};

/**
 * Returns `to` when moving from `from` to `to` is legal.
 *
 * @throws {FsError} INTERNAL when the transition is not in the table.
 */
export function transition(
  from: FunctionStatus,
  to: FunctionStatus,
): FunctionStatus {
  if (!TRANSITIONS[from].includes(to)) {
    throw new FsError(
      "INTERNAL",
      `Cannot move a function to ${to} as it is ${from}: allowed are ${
        TRANSITIONS[from].join(", ")
      }`,
    );
  }
  return to;
}

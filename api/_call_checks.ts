/**
 * Checks shared by every FunctionStreamService operation: the function name
 * of a request, and whether the caller still waits for the answer.
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { FsError } from "../runtime/core/mod.ts";

/** Longest function name a task config accepts (runtime/core/task_config.ts). */
export const MAX_FUNCTION_NAME_LENGTH = 128;

/** What an operation may ask about the call it serves. */
export interface CallState {
  /** True once the client cancelled or its deadline passed. */
  isOver(): boolean;
}

/**
 * grpc-js marks a call cancelled when the client resets the stream, but not
 * when the server ends it at the deadline, so the deadline is read as well.
 */
export function callState(
  call: { cancelled?: boolean; getDeadline?(): grpc.Deadline },
): CallState {
  return {
    isOver() {
      if (call.cancelled === true) return true;
      const deadline = call.getDeadline?.() ?? Infinity;
      const ms = deadline instanceof Date ? deadline.getTime() : deadline;
      return Number.isFinite(ms) && Date.now() >= ms;
    },
  };
}

/**
 * Returns the trimmed function name of a request, or throws BAD_REQUEST
 * naming what could not be done (`what`, e.g. "stop function").
 */
export function requireName(value: string | undefined, what: string): string {
  const name = (value ?? "").trim();
  if (name === "") {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot ${what} as function_name is empty: current value is ${
        JSON.stringify(value ?? "")
      }`,
    );
  }
  // No function can have a longer name (task configs allow 1-128
  // characters), and the registry's keys cannot hold arbitrary lengths.
  if (name.length > MAX_FUNCTION_NAME_LENGTH) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot ${what} as function_name is longer than ${MAX_FUNCTION_NAME_LENGTH} characters, the limit for function names: current length is ${name.length}`,
    );
  }
  return name;
}

/**
 * Refuses to begin a change the caller no longer waits for. Once begun, a
 * change runs to its end even if the deadline passes meanwhile: stopping
 * half-way would leave the function between states (see README "Security").
 */
export function ensureLive(call: CallState, what: string): void {
  if (call.isOver()) {
    throw new FsError(
      "UNAVAILABLE",
      `Cannot ${what} as the caller cancelled the call (deadline passed or disconnected) before it began: nothing was changed`,
    );
  }
}

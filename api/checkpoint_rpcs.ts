/**
 * The checkpoint RPCs of FunctionStreamService (TriggerCheckpoint,
 * ListCheckpoints, RestoreCheckpoint): request checks, the engine call, and
 * the conversion between engine values and wire messages.
 *
 * Every int64 goes out as a decimal string (exact beyond 2^53) and comes in
 * as one (proto-loader `longs: String`). Engine checkpoint ids are JS
 * numbers, so an id above 2^53 - 1 cannot name a checkpoint of this server.
 * @module
 */
import {
  type CheckpointInfo,
  FsError,
  type FunctionControl,
  type SourcePosition,
} from "../runtime/core/mod.ts";
import { type CallState, ensureLive, requireName } from "./_call_checks.ts";
import type {
  CheckpointInfoMessage,
  CheckpointPositionMessage,
  ListCheckpointsRequest,
  ListCheckpointsResponse,
  ResponseMessage,
  RestoreCheckpointRequest,
  TriggerCheckpointRequest,
  TriggerCheckpointResponse,
} from "./proto.ts";
import { StatusCode } from "./proto.ts";

/** One operation behind a unary handler: request in, reply out, may throw FsError. */
export type CheckpointOperation<Req, Res> = (
  request: Req,
  call: CallState,
) => Promise<Res>;

/** The three checkpoint operations, for the unary wrapper of the service. */
export interface CheckpointOperations {
  /** Takes a checkpoint now; answers 201 with its id once it is complete. */
  triggerCheckpoint: CheckpointOperation<
    TriggerCheckpointRequest,
    TriggerCheckpointResponse
  >;
  /** Lists complete checkpoints, oldest first. */
  listCheckpoints: CheckpointOperation<
    ListCheckpointsRequest,
    ListCheckpointsResponse
  >;
  /** Rewinds a stopped function to a checkpoint; answers 200. */
  restoreCheckpoint: CheckpointOperation<
    RestoreCheckpointRequest,
    ResponseMessage
  >;
}

const INT64_MAX = (1n << 63n) - 1n;

/**
 * Reads the `checkpoint_id` of a restore request: a decimal string (as
 * received) or an integer number (in-process callers). Throws BAD_REQUEST
 * for negative or malformed values, NOT_FOUND for ids beyond 2^53 - 1,
 * which no checkpoint of this server can have.
 */
export function parseCheckpointId(
  value: unknown,
  functionName: string,
): number {
  const text = typeof value === "number" || typeof value === "bigint"
    ? String(value)
    : typeof value === "string"
    ? value.trim()
    : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot restore checkpoint as checkpoint_id is not an integer: current value is ${
        JSON.stringify(value ?? null)
      }`,
    );
  }
  const id = BigInt(text);
  if (id < 0n) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot restore checkpoint as checkpoint_id is negative: current value is ${text}`,
    );
  }
  if (id > INT64_MAX) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot restore checkpoint as checkpoint_id is above the int64 range: current value is ${text}`,
    );
  }
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FsError(
      "NOT_FOUND",
      `Checkpoint ${text} of function '${functionName}' not found: ids above ${Number.MAX_SAFE_INTEGER} are never assigned`,
    );
  }
  return Number(id);
}

/** An engine number as an int64 decimal string; INTERNAL if it is not a non-negative integer. */
function int64Text(value: number, field: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FsError(
      "INTERNAL",
      `Cannot send ${field} as the engine gave a value that is not a non-negative integer: current value is ${value}`,
    );
  }
  return String(value);
}

/** Converts an engine input position to its wire message. */
export function toPositionMessage(
  position: SourcePosition,
): CheckpointPositionMessage {
  return {
    topic: position.topic,
    partition: position.partition,
    next_offset: position.nextOffset.toString(),
  };
}

/** Converts an engine checkpoint description to its wire message (the token stays inside). */
export function toCheckpointMessage(
  info: CheckpointInfo,
): CheckpointInfoMessage {
  return {
    checkpoint_id: int64Text(info.id, "checkpoint_id"),
    created_at_ms: int64Text(info.createdAtMs, "created_at_ms"),
    size_bytes: int64Text(info.sizeBytes, "size_bytes"),
    positions: info.positions.map(toPositionMessage),
  };
}

/** Creates the checkpoint operations over an engine. */
export function createCheckpointOperations(
  control: FunctionControl,
): CheckpointOperations {
  return {
    async triggerCheckpoint(request, call) {
      const name = requireName(request.function_name, "trigger a checkpoint");
      ensureLive(call, `trigger a checkpoint of function '${name}'`);
      const id = int64Text(
        await control.triggerCheckpoint(name),
        "checkpoint_id",
      );
      return {
        status_code: StatusCode.CREATED,
        message: `Checkpoint ${id} of function '${name}' complete`,
        checkpoint_id: id,
      };
    },

    async listCheckpoints(request) {
      const name = requireName(request.function_name, "list checkpoints");
      const checkpoints = (await control.listCheckpoints(name)).map(
        toCheckpointMessage,
      );
      const count = checkpoints.length === 1
        ? "1 checkpoint"
        : `${checkpoints.length} checkpoints`;
      return {
        status_code: StatusCode.OK,
        message: `${count} of function '${name}'`,
        checkpoints,
      };
    },

    async restoreCheckpoint(request, call) {
      const name = requireName(request.function_name, "restore a checkpoint");
      const id = parseCheckpointId(request.checkpoint_id, name);
      ensureLive(call, `restore function '${name}' to checkpoint ${id}`);
      await control.restoreCheckpoint(name, id);
      return {
        status_code: StatusCode.OK,
        message: `Function '${name}' restored to checkpoint ${id}`,
      };
    },
  };
}

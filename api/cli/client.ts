/**
 * A small promise-based client for FunctionStreamService over grpc-js: one
 * method per RPC, a deadline on every call, and an optional bearer token.
 *
 * Application errors (404, 409, ...) are normal replies and are returned as
 * they are; only transport failures reject, with an {@link RpcError} that
 * says whether the server was unreachable, too slow, or refused the call.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type CreatePythonFunctionRequest,
  type ListCheckpointsResponse,
  loadFunctionStreamProto,
  type ResponseMessage,
  type ShowFunctionsResponse,
  type TriggerCheckpointResponse,
} from "../mod.ts";

/** Default deadline of one call: 30 seconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** Largest reply accepted (long function lists): 64 MiB. */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/** Why a call failed below the application level. */
export type RpcFailureKind =
  /** No connection to the server (refused, unknown host, dropped). */
  | "unreachable"
  /** The deadline passed before the reply arrived. */
  | "timeout"
  /** The server rejected the call with a gRPC status (e.g. UNAUTHENTICATED). */
  | "failed";

/** A failed call: the transport or gRPC layer failed, not the application. */
export class RpcError extends Error {
  /** What kind of failure this is. */
  readonly kind: RpcFailureKind;
  /** The gRPC status code (14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, ...). */
  readonly grpcCode: number;

  /** Creates the error from its kind, gRPC code and a one-line message. */
  constructor(
    kind: RpcFailureKind,
    grpcCode: number,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RpcError";
    this.kind = kind;
    this.grpcCode = grpcCode;
  }
}

/** Options for {@link FunctionStreamClient}. */
export interface FunctionStreamClientOptions {
  /**
   * Deadline of each call, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /** When set, sent as `authorization: Bearer <token>` metadata on every call. */
  token?: string;
}

/** Options of one call. */
export interface CallOptions {
  /**
   * Absolute deadline (epoch milliseconds); the earlier of this and the
   * client's per-call timeout applies.
   */
  deadline?: number;
}

/** Turns the "Last error" of an UNAVAILABLE status into a short cause. */
function unreachableCause(details: string): string {
  if (/ECONNREFUSED/.test(details)) return "connection refused";
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(details)) {
    return "host name cannot be resolved";
  }
  if (/EHOSTUNREACH|ENETUNREACH/.test(details)) return "host unreachable";
  if (/ECONNRESET|Connection dropped/.test(details)) return "connection reset";
  return details.trim() || "unavailable";
}

/** A client for one server address. Call {@link close} when done. */
export class FunctionStreamClient {
  /** The "host:port" dialled. */
  readonly address: string;
  readonly #client: grpc.Client;
  readonly #timeoutMs: number;
  readonly #token?: string;

  /** Creates a client for `address` ("host:port"); nothing connects until the first call. */
  constructor(address: string, options: FunctionStreamClientOptions = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (!(timeoutMs > 0)) {
      throw new RangeError(
        `Cannot create a client as timeoutMs is not positive: current value is ${timeoutMs}`,
      );
    }
    const { Client } = loadFunctionStreamProto();
    this.address = address;
    this.#timeoutMs = timeoutMs;
    this.#token = options.token;
    this.#client = new Client(address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
      "grpc.max_send_message_length": -1,
    });
  }

  /** Runs one SQL statement (ExecuteSql). */
  executeSql(sql: string, options?: CallOptions): Promise<ResponseMessage> {
    return this.#call("ExecuteSql", { sql }, options);
  }

  /** Uploads modules and a task config, and starts the function (CreatePythonFunction). */
  createPythonFunction(
    request: CreatePythonFunctionRequest,
    options?: CallOptions,
  ): Promise<ResponseMessage> {
    return this.#call("CreatePythonFunction", request, options);
  }

  /** Starts a function (StartFunction). */
  startFunction(name: string, options?: CallOptions): Promise<ResponseMessage> {
    return this.#call("StartFunction", { function_name: name }, options);
  }

  /** Stops a function (StopFunction). */
  stopFunction(name: string, options?: CallOptions): Promise<ResponseMessage> {
    return this.#call("StopFunction", { function_name: name }, options);
  }

  /** Stops and removes a function (DropFunction). */
  dropFunction(name: string, options?: CallOptions): Promise<ResponseMessage> {
    return this.#call("DropFunction", { function_name: name }, options);
  }

  /** Lists functions whose name matches a glob (ShowFunctions); all when absent. */
  showFunctions(
    filter?: string,
    options?: CallOptions,
  ): Promise<ShowFunctionsResponse> {
    const request = filter === undefined || filter === "" ? {} : { filter };
    return this.#call("ShowFunctions", request, options);
  }

  /**
   * Takes a checkpoint of a running function and waits until it is complete
   * (TriggerCheckpoint); a 201 reply carries its id as a decimal string.
   */
  triggerCheckpoint(
    name: string,
    options?: CallOptions,
  ): Promise<TriggerCheckpointResponse> {
    return this.#call("TriggerCheckpoint", { function_name: name }, options);
  }

  /** Lists a function's complete checkpoints, oldest first (ListCheckpoints). */
  listCheckpoints(
    name: string,
    options?: CallOptions,
  ): Promise<ListCheckpointsResponse> {
    return this.#call("ListCheckpoints", { function_name: name }, options);
  }

  /**
   * Rewinds a stopped function to a checkpoint (RestoreCheckpoint).
   * `checkpointId` is an int64 as a decimal string (exact beyond 2^53).
   */
  restoreCheckpoint(
    name: string,
    checkpointId: string,
    options?: CallOptions,
  ): Promise<ResponseMessage> {
    return this.#call(
      "RestoreCheckpoint",
      { function_name: name, checkpoint_id: checkpointId },
      options,
    );
  }

  /** Closes the channel; calls after this fail. */
  close(): void {
    this.#client.close();
  }

  #call<Reply>(
    method: string,
    request: object,
    options: CallOptions = {},
  ): Promise<Reply> {
    const metadata = new grpc.Metadata();
    if (this.#token) metadata.set("authorization", `Bearer ${this.#token}`);
    const ownDeadline = Date.now() + this.#timeoutMs;
    const deadline = Math.min(ownDeadline, options.deadline ?? ownDeadline);
    const timeoutMs = Math.max(0, deadline - Date.now());
    // The generic client constructor adds one method per RPC; they are not
    // typed, so look the method up by name.
    const rpc = (this.#client as unknown as Record<string, unknown>)[
      method
    ] as (
      request: object,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, reply?: Reply) => void,
    ) => void;
    return new Promise((resolve, reject) => {
      rpc.call(
        this.#client,
        request,
        metadata,
        { deadline },
        (error, reply) => {
          if (error) reject(this.#toRpcError(method, error, timeoutMs));
          else resolve(reply as Reply);
        },
      );
    });
  }

  #toRpcError(
    method: string,
    error: grpc.ServiceError,
    timeoutMs: number,
  ): RpcError {
    const details = error.details ?? error.message;
    if (error.code === grpc.status.UNAVAILABLE) {
      return new RpcError(
        "unreachable",
        error.code,
        `cannot reach Function Stream at ${this.address}: ${
          unreachableCause(details)
        }`,
        { cause: error },
      );
    }
    if (error.code === grpc.status.DEADLINE_EXCEEDED) {
      const seconds = Number((timeoutMs / 1000).toFixed(3));
      return new RpcError(
        "timeout",
        error.code,
        `timed out after ${seconds} s waiting for Function Stream at ${this.address} (${method})`,
        { cause: error },
      );
    }
    const name = grpc.status[error.code] ?? String(error.code);
    return new RpcError(
      "failed",
      error.code,
      `${method} failed with gRPC status ${name}: ${details}`,
      { cause: error },
    );
  }
}

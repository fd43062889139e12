/**
 * The wire contract, loaded from proto/function_stream.proto (the single
 * truth) and typed for TypeScript.
 *
 * The .proto is read as text next to this module and parsed in memory, so it
 * works from any working directory and inside `deno compile --include proto/`
 * (no temporary files, no network).
 *
 * Loader options: `keepCase` (field names are the proto's snake_case), longs
 * as strings, enums as numbers (so `status_code` is 200, 404, ... on both
 * sides), defaults filled in, and proto3 `optional` fields exposed with their
 * synthetic oneof (absent optional fields stay `undefined`).
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
// protobufjs is proto-loader's own parser (same version as in deno.lock); it
// is imported directly only to parse text without touching the file system.
import protobuf from "protobufjs";

/** Where the contract lives, relative to this module. */
export const PROTO_URL: URL = new URL(
  "../proto/function_stream.proto",
  import.meta.url,
);

/** Fully qualified name of the control-plane service. */
export const SERVICE_NAME = "function_stream.FunctionStreamService";

/** Options given to proto-loader; clients and server share them. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
};

/** `enum StatusCode` of the contract (a test checks it against the .proto). */
export const StatusCode = {
  STATUS_UNKNOWN: 0,
  OK: 200,
  CREATED: 201,
  ACCEPTED: 202,
  NO_CONTENT: 204,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  UNPROCESSABLE_ENTITY: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

/** One value of {@link StatusCode}. */
export type StatusCode = typeof StatusCode[keyof typeof StatusCode];

/** `message SqlRequest`. */
export interface SqlRequest {
  /** One SQL statement. */
  sql: string;
}

/** `message CreateFunctionRequest` (raw WASM; not supported by this server). */
export interface CreateFunctionRequest {
  /** Task config YAML as bytes. */
  config_bytes: Uint8Array;
  /** WASM module bytes. */
  function_bytes: Uint8Array;
}

/** `message PythonModule` (named to avoid the core type of the same name). */
export interface PythonModuleMessage {
  /** Dotted module path. */
  module_name: string;
  /** UTF-8 source. */
  module_bytes: Uint8Array;
}

/** `message CreatePythonFunctionRequest`. */
export interface CreatePythonFunctionRequest {
  /** Operator class to instantiate. */
  class_name: string;
  /** Uploaded modules, dependencies first. */
  modules: PythonModuleMessage[];
  /** Task config YAML. */
  config_content: string;
}

/** `message FunctionInfo` (named to avoid the core type of the same name). */
export interface FunctionInfoMessage {
  /** Function name. */
  name: string;
  /** Task type, e.g. "python". */
  task_type: string;
  /** Upper case status, e.g. "RUNNING". */
  status: string;
}

/** `message DropFunctionRequest`. */
export interface DropFunctionRequest {
  /** Function to drop. */
  function_name: string;
}

/** `message StartFunctionRequest`. */
export interface StartFunctionRequest {
  /** Function to start. */
  function_name: string;
}

/** `message StopFunctionRequest`. */
export interface StopFunctionRequest {
  /** Function to stop. */
  function_name: string;
}

/** `message ShowFunctionsRequest`. */
export interface ShowFunctionsRequest {
  /** Glob pattern on names; absent or empty lists every function. */
  filter?: string;
}

/** `message Response` (named to avoid the global fetch `Response`). */
export interface ResponseMessage {
  /** What happened, as an HTTP-like code. */
  status_code: StatusCode;
  /** Human-readable outcome. */
  message: string;
  /** Optional payload, e.g. JSON rows of SHOW FUNCTIONS. */
  data?: Uint8Array;
}

/** `message ShowFunctionsResponse`. */
export interface ShowFunctionsResponse {
  /** What happened, as an HTTP-like code. */
  status_code: StatusCode;
  /** Human-readable outcome. */
  message: string;
  /** Matching functions. */
  functions: FunctionInfoMessage[];
}

/**
 * `message CheckpointPosition`. Like every int64 of the contract,
 * `next_offset` is a decimal string when received (loader option
 * `longs: String`, exact beyond 2^53); strings or numbers may be sent.
 */
export interface CheckpointPositionMessage {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset of the next record to read, as a decimal string. */
  next_offset: string;
}

/** `message CheckpointInfo` (named to avoid the core type of the same name). */
export interface CheckpointInfoMessage {
  /** Checkpoint id, as a decimal string. */
  checkpoint_id: string;
  /** When it was taken, milliseconds since the epoch, as a decimal string. */
  created_at_ms: string;
  /** Bytes stored for it, as a decimal string. */
  size_bytes: string;
  /** Input position of every partition the function had read. */
  positions: CheckpointPositionMessage[];
}

/** `message TriggerCheckpointRequest`. */
export interface TriggerCheckpointRequest {
  /** Function to checkpoint. */
  function_name: string;
}

/** `message TriggerCheckpointResponse`. */
export interface TriggerCheckpointResponse {
  /** What happened: 201 once the checkpoint is complete. */
  status_code: StatusCode;
  /** Human-readable outcome. */
  message: string;
  /** Id of the new checkpoint as a decimal string; "0" on errors. */
  checkpoint_id: string;
}

/** `message ListCheckpointsRequest`. */
export interface ListCheckpointsRequest {
  /** Function whose checkpoints to list. */
  function_name: string;
}

/** `message ListCheckpointsResponse`. */
export interface ListCheckpointsResponse {
  /** What happened, as an HTTP-like code. */
  status_code: StatusCode;
  /** Human-readable outcome. */
  message: string;
  /** Complete checkpoints, oldest first. */
  checkpoints: CheckpointInfoMessage[];
}

/** `message RestoreCheckpointRequest`. */
export interface RestoreCheckpointRequest {
  /** Function to rewind; it must be stopped. */
  function_name: string;
  /** Checkpoint to rewind to, as a decimal string (numbers may be sent). */
  checkpoint_id: string | number;
}

/** The loaded contract. */
export interface FunctionStreamProto {
  /** proto-loader's package definition (for `grpc.loadPackageDefinition`). */
  packageDefinition: protoLoader.PackageDefinition;
  /** The FunctionStreamService definition, for `server.addService`. */
  service: grpc.ServiceDefinition;
  /** A generic client constructor for the service (CLI and tests). */
  Client: grpc.ServiceClientConstructor;
  /** `enum StatusCode` values by name, as declared in the .proto. */
  statusCodes: Record<string, number>;
}

let cached: FunctionStreamProto | undefined;

/**
 * Parses .proto text into a proto-loader package definition, in memory.
 * Throws if the text is not valid proto3.
 */
export function parseProtoText(text: string): protoLoader.PackageDefinition {
  const { root } = protobuf.parse(text, { keepCase: true });
  return protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
}

/**
 * Loads the contract once (synchronous read of {@link PROTO_URL}) and returns
 * the cached result afterwards. Needs read permission on the proto file.
 */
export function loadFunctionStreamProto(): FunctionStreamProto {
  if (cached !== undefined) return cached;
  const packageDefinition = parseProtoText(Deno.readTextFileSync(PROTO_URL));
  const service = packageDefinition[SERVICE_NAME] as grpc.ServiceDefinition;
  if (service === undefined) {
    throw new Error(
      `Cannot load the wire contract as ${SERVICE_NAME} is missing from ${PROTO_URL}`,
    );
  }
  const statusEnum = packageDefinition["function_stream.StatusCode"] as {
    type?: { value?: { name: string; number: number }[] };
  };
  const statusCodes: Record<string, number> = {};
  for (const value of statusEnum.type?.value ?? []) {
    statusCodes[value.name] = value.number;
  }
  const Client = grpc.makeGenericClientConstructor(
    service,
    "FunctionStreamService",
  );
  cached = { packageDefinition, service, Client, statusCodes };
  return cached;
}

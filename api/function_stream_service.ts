/**
 * FunctionStreamService: the gRPC control plane. Each RPC checks its request,
 * calls the engine through {@link FunctionControl}, and answers with a
 * status code and message. Application errors are normal replies with the
 * mapped status code (SPEC section 4), never gRPC error statuses.
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import {
  createLogger,
  FsError,
  type FunctionControl,
  type Logger,
  parseTaskConfig,
  type PythonModule,
} from "../runtime/core/mod.ts";
import {
  encodeFunctionRows,
  formatFunctionTable,
  toFunctionRows,
} from "./function_table.ts";
import type {
  CreateFunctionRequest,
  CreatePythonFunctionRequest,
  DropFunctionRequest,
  ListCheckpointsRequest,
  ListCheckpointsResponse,
  PythonModuleMessage,
  ResponseMessage,
  RestoreCheckpointRequest,
  ShowFunctionsRequest,
  ShowFunctionsResponse,
  SqlRequest,
  StartFunctionRequest,
  StopFunctionRequest,
  TriggerCheckpointRequest,
  TriggerCheckpointResponse,
} from "./proto.ts";
import { StatusCode } from "./proto.ts";
import { parseSql } from "./sql.ts";
import { errorToReply } from "./status_codes.ts";
import type { CallAuthenticator } from "./auth.ts";
import { checkFilterPattern } from "./filter_pattern.ts";
import {
  type CallState,
  callState,
  ensureLive,
  requireName,
} from "./_call_checks.ts";
import { createCheckpointOperations } from "./checkpoint_rpcs.ts";

export { MAX_FUNCTION_NAME_LENGTH } from "./_call_checks.ts";

/** Options for {@link createFunctionStreamService}. */
export interface FunctionStreamServiceOptions {
  /**
   * Where error outcomes are logged (one line per failed request).
   * @default a text logger on stderr
   */
  logger?: Logger;
  /**
   * Checks every call's credentials before anything else runs; a call that
   * fails gets a normal reply with status 401 (fs_client raises
   * AuthenticationError).
   * @default none: every call is accepted
   */
  authenticator?: CallAuthenticator;
}

/** grpc-js unary handlers of FunctionStreamService, keyed by RPC name. */
export interface FunctionStreamHandlers
  extends grpc.UntypedServiceImplementation {
  /** Runs one SQL statement. */
  ExecuteSql: grpc.handleUnaryCall<SqlRequest, ResponseMessage>;
  /** Raw WASM functions: answers 501. */
  CreateFunction: grpc.handleUnaryCall<CreateFunctionRequest, ResponseMessage>;
  /** Registers and starts a Python function: answers 201. */
  CreatePythonFunction: grpc.handleUnaryCall<
    CreatePythonFunctionRequest,
    ResponseMessage
  >;
  /** Stops and removes a function. */
  DropFunction: grpc.handleUnaryCall<DropFunctionRequest, ResponseMessage>;
  /** Lists functions, optionally filtered by a glob pattern. */
  ShowFunctions: grpc.handleUnaryCall<
    ShowFunctionsRequest,
    ShowFunctionsResponse
  >;
  /** Starts a function. */
  StartFunction: grpc.handleUnaryCall<StartFunctionRequest, ResponseMessage>;
  /** Stops a function. */
  StopFunction: grpc.handleUnaryCall<StopFunctionRequest, ResponseMessage>;
  /** Takes a checkpoint now: answers 201 with its id once it is complete. */
  TriggerCheckpoint: grpc.handleUnaryCall<
    TriggerCheckpointRequest,
    TriggerCheckpointResponse
  >;
  /** Lists a function's complete checkpoints, oldest first. */
  ListCheckpoints: grpc.handleUnaryCall<
    ListCheckpointsRequest,
    ListCheckpointsResponse
  >;
  /** Rewinds a stopped function to one of its checkpoints. */
  RestoreCheckpoint: grpc.handleUnaryCall<
    RestoreCheckpointRequest,
    ResponseMessage
  >;
}

type Lifecycle = "start" | "stop" | "drop";

const LIFECYCLE_DONE: Record<Lifecycle, string> = {
  start: "started",
  stop: "stopped",
  drop: "dropped",
};

function reply(status_code: StatusCode, message: string): ResponseMessage {
  return { status_code, message };
}

function badCreate(problem: string): FsError {
  return new FsError(
    "BAD_REQUEST",
    `Cannot create Python function as ${problem}`,
  );
}

/** Checks and converts uploaded modules: names set and unique, sources UTF-8. */
function toModules(
  messages: PythonModuleMessage[] | undefined,
): PythonModule[] {
  if (!messages || messages.length === 0) {
    throw badCreate(
      "no modules were uploaded: current value is 0 modules; upload the module that defines the class",
    );
  }
  const seen = new Set<string>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return messages.map((module, index) => {
    const name = (module.module_name ?? "").trim();
    if (name === "") {
      throw badCreate(
        `modules[${index}].module_name is empty: current value is ""`,
      );
    }
    if (seen.has(name)) {
      throw badCreate(
        `module '${name}' is uploaded twice: current value is modules[${index}]`,
      );
    }
    seen.add(name);
    // Copy: grpc-js may hand out views into a larger, reused buffer.
    const source = new Uint8Array(module.module_bytes ?? new Uint8Array());
    try {
      decoder.decode(source);
    } catch {
      throw badCreate(
        `module '${name}' is not UTF-8 text: current value is ${source.length} bytes`,
      );
    }
    return { name, source };
  });
}

/**
 * Creates the FunctionStreamService handlers over an engine. The handlers
 * never fail the gRPC call: every outcome is a reply with a status code.
 */
export function createFunctionStreamService(
  control: FunctionControl,
  options: FunctionStreamServiceOptions = {},
): FunctionStreamHandlers {
  const logger = options.logger ?? createLogger();
  const checkpoints = createCheckpointOperations(control);

  async function lifecycle(
    action: Lifecycle,
    functionName: string | undefined,
    call: CallState,
  ): Promise<ResponseMessage> {
    const name = requireName(functionName, `${action} function`);
    ensureLive(call, `${action} function '${name}'`);
    if (action === "start") await control.startFunction(name);
    else if (action === "stop") await control.stopFunction(name);
    else await control.dropFunction(name);
    return reply(StatusCode.OK, `Function '${name}' ${LIFECYCLE_DONE[action]}`);
  }

  async function createPython(
    request: CreatePythonFunctionRequest,
    call: CallState,
  ): Promise<ResponseMessage> {
    const modules = toModules(request.modules);
    const configYaml = request.config_content ?? "";
    if (configYaml.trim() === "") {
      throw badCreate(
        'config_content is empty: current value is ""; send the task config YAML',
      );
    }
    // Parsed here for the function name in the reply and the class name
    // fallback; the engine parses it again and owns every other decision.
    const { name, initConfig } = parseTaskConfig(configYaml);
    // The request's class_name wins; init_config["class_name"] is only the
    // fallback older clients relied on (SPEC section 1).
    const className = (request.class_name ?? "").trim() ||
      (initConfig.class_name ?? "").trim();
    if (className === "") {
      throw badCreate(
        'class_name is empty: current value is ""; set it to the FSProcessorDriver subclass to run',
      );
    }
    ensureLive(call, `create function '${name}'`);
    await control.createPythonFunction({ className, modules, configYaml });
    return reply(StatusCode.CREATED, `Function '${name}' created`);
  }

  async function showRows(filter: string | undefined) {
    const pattern = filter === undefined || filter === "" ? undefined : filter;
    if (pattern !== undefined) checkFilterPattern(pattern);
    const rows = toFunctionRows(await control.listFunctions(pattern));
    return { rows, pattern };
  }

  async function executeSql(
    request: SqlRequest,
    call: CallState,
  ): Promise<ResponseMessage> {
    const statement = parseSql(request.sql ?? "");
    if (statement.kind !== "show") {
      return await lifecycle(statement.kind, statement.name, call);
    }
    const { rows, pattern } = await showRows(statement.pattern);
    return {
      status_code: StatusCode.OK,
      message: formatFunctionTable(rows, pattern),
      data: encodeFunctionRows(rows),
    };
  }

  async function showFunctions(
    request: ShowFunctionsRequest,
  ): Promise<ShowFunctionsResponse> {
    const { rows, pattern } = await showRows(request.filter);
    const scope = pattern === undefined ? "" : ` matching '${pattern}'`;
    const count = rows.length === 1 ? "1 function" : `${rows.length} functions`;
    return {
      status_code: StatusCode.OK,
      message: `${count}${scope}`,
      functions: rows.map(({ name, task_type, status }) => ({
        name,
        task_type,
        status,
      })),
    };
  }

  /** Wraps an operation into a grpc-js handler that always answers once. */
  function unary<Req, Res extends { status_code: StatusCode; message: string }>(
    rpc: string,
    operation: (request: Req, call: CallState) => Promise<Res>,
    errorExtra: Omit<Res, "status_code" | "message">,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const state = callState(call);
      const run = async (): Promise<Res> => {
        try {
          // Before anything else, so an unauthenticated caller learns
          // nothing about the request's validity or the functions.
          options.authenticator?.check(call.metadata);
          return await operation(call.request ?? ({} as Req), state);
        } catch (error) {
          const { status_code, message } = errorToReply(error, {
            logger,
            operation: rpc,
          });
          // Non-FsError values were already logged (with stack) above.
          if (error instanceof FsError) {
            logger.log(
              status_code >= 500 ? "error" : "warn",
              `${rpc} failed: ${message}`,
              {
                rpc,
                status: status_code,
                code: error.code,
              },
            );
          }
          return { ...errorExtra, status_code, message } as Res;
        }
      };
      run().then(
        (response) => {
          if (state.isOver()) {
            // grpc-js drops the reply; the log is the only trace of it.
            logger.log(
              "warn",
              `${rpc} finished after its caller cancelled (deadline passed or disconnected); ` +
                `the reply was not delivered: ${response.status_code} ${response.message}`,
              { rpc, status: response.status_code },
            );
          }
          callback(null, response);
        },
        (error) =>
          logger.log("error", `${rpc} could not answer: ${error}`, { rpc }),
      );
    };
  }

  return {
    ExecuteSql: unary("ExecuteSql", executeSql, {}),
    CreateFunction: unary("CreateFunction", (_: CreateFunctionRequest) => {
      return Promise.reject(
        new FsError(
          "NOT_IMPLEMENTED",
          "Cannot create a WASM function as this server runs Python functions only: " +
            "use CreatePythonFunction (fs_client create_python_function_from_config)",
        ),
      );
    }, {}),
    CreatePythonFunction: unary("CreatePythonFunction", createPython, {}),
    DropFunction: unary(
      "DropFunction",
      (request: DropFunctionRequest, call) =>
        lifecycle("drop", request.function_name, call),
      {},
    ),
    ShowFunctions: unary("ShowFunctions", showFunctions, { functions: [] }),
    StartFunction: unary(
      "StartFunction",
      (request: StartFunctionRequest, call) =>
        lifecycle("start", request.function_name, call),
      {},
    ),
    StopFunction: unary(
      "StopFunction",
      (request: StopFunctionRequest, call) =>
        lifecycle("stop", request.function_name, call),
      {},
    ),
    TriggerCheckpoint: unary(
      "TriggerCheckpoint",
      checkpoints.triggerCheckpoint,
      { checkpoint_id: "0" },
    ),
    ListCheckpoints: unary("ListCheckpoints", checkpoints.listCheckpoints, {
      checkpoints: [],
    }),
    RestoreCheckpoint: unary(
      "RestoreCheckpoint",
      checkpoints.restoreCheckpoint,
      {},
    ),
  };
}

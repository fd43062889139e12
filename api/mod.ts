/**
 * The gRPC control plane: the wire contract, the FunctionStreamService
 * handlers, the ExecuteSql statements, the error -> status table, bearer
 * token authentication, and the server (plaintext or TLS).
 * @module
 */
export {
  type CheckpointInfoMessage,
  type CheckpointPositionMessage,
  type CreateFunctionRequest,
  type CreatePythonFunctionRequest,
  type DropFunctionRequest,
  type FunctionInfoMessage,
  type FunctionStreamProto,
  type ListCheckpointsRequest,
  type ListCheckpointsResponse,
  LOADER_OPTIONS,
  loadFunctionStreamProto,
  parseProtoText,
  PROTO_URL,
  type PythonModuleMessage,
  type ResponseMessage,
  type RestoreCheckpointRequest,
  SERVICE_NAME,
  type ShowFunctionsRequest,
  type ShowFunctionsResponse,
  type SqlRequest,
  type StartFunctionRequest,
  StatusCode,
  type StopFunctionRequest,
  type TriggerCheckpointRequest,
  type TriggerCheckpointResponse,
} from "./proto.ts";
export {
  type CheckpointOperation,
  type CheckpointOperations,
  createCheckpointOperations,
  parseCheckpointId,
  toCheckpointMessage,
  toPositionMessage,
} from "./checkpoint_rpcs.ts";
export {
  type ErrorReply,
  errorToReply,
  type ErrorToReplyOptions,
  STATUS_BY_ERROR_CODE,
  statusForErrorCode,
} from "./status_codes.ts";
export {
  likeToGlob,
  MAX_SQL_LENGTH,
  parseSql,
  type SqlStatement,
  SUPPORTED_STATEMENTS,
} from "./sql.ts";
export {
  encodeFunctionRows,
  formatFunctionTable,
  type FunctionRowJson,
  toFunctionRows,
} from "./function_table.ts";
export {
  createFunctionStreamService,
  type FunctionStreamHandlers,
  type FunctionStreamServiceOptions,
  MAX_FUNCTION_NAME_LENGTH,
} from "./function_stream_service.ts";
export {
  buildGrpcServer,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type GrpcServerHandle,
  type GrpcServerOptions,
  serveGrpc,
  type ServeGrpcOptions,
  serverCredentials,
  type TlsFiles,
} from "./server.ts";
export {
  AUTH_TOKEN_ENV,
  type GrpcFlagOptions,
  type GrpcFlagValues,
  grpcOptionsFromFlags,
  MAX_MESSAGE_MB_LIMIT,
} from "./server_flags.ts";
export { checkFilterPattern, MAX_FILTER_LENGTH } from "./filter_pattern.ts";
export {
  type CallAuthenticator,
  checkAuthToken,
  createTokenAuthenticator,
  MAX_AUTH_TOKEN_LENGTH,
  MIN_AUTH_TOKEN_LENGTH,
} from "./auth.ts";
export {
  HEALTH_PROTO_URL,
  HEALTH_SERVICE_NAME,
  HEALTH_SERVICES,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthService,
  loadHealthProto,
  ServingStatus,
} from "./health.ts";
export {
  handleMetricsRequest,
  METRICS_PATH,
  type MetricsServerHandle,
  type MetricsSource,
  parseMetricsPort,
  serveMetrics,
  type ServeMetricsOptions,
} from "./metrics_http.ts";
export { grpcLogSink, routeLibraryLogs } from "./library_logs.ts";

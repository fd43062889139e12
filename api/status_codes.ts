/**
 * The one table that maps error codes to wire status codes, and the function
 * that turns any thrown value into a reply.
 * @module
 */
import {
  createLogger,
  type ErrorCode,
  FsError,
  type Logger,
  messageOf,
} from "../runtime/core/mod.ts";
import { StatusCode } from "./proto.ts";

/**
 * Status code for each error code. Every ErrorCode must appear (the type
 * checker enforces it), so a new code cannot silently fall through to 500.
 */
export const STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, StatusCode>> = {
  BAD_REQUEST: StatusCode.BAD_REQUEST,
  // Upload size and count limits: the caller must send less, so 400.
  LIMIT_EXCEEDED: StatusCode.BAD_REQUEST,
  NOT_FOUND: StatusCode.NOT_FOUND,
  CONFLICT: StatusCode.CONFLICT,
  UNAUTHENTICATED: StatusCode.UNAUTHORIZED,
  NOT_IMPLEMENTED: StatusCode.NOT_IMPLEMENTED,
  UNAVAILABLE: StatusCode.SERVICE_UNAVAILABLE,
  // The operator's Python code is part of the caller's upload: when it fails to
  // import or its init() raises, only the caller can fix it, and retrying the
  // same upload fails the same way. 400 makes fs_client raise BadRequestError
  // with the Python message; 5xx would blame the server and invite retries.
  USER_CODE: StatusCode.BAD_REQUEST,
  INTERNAL: StatusCode.INTERNAL_SERVER_ERROR,
};

/** A status code with its human message, as both reply messages carry them. */
export interface ErrorReply {
  /** Mapped status code. */
  status_code: StatusCode;
  /** Human-readable message. */
  message: string;
}

/** Options for {@link errorToReply}. */
export interface ErrorToReplyOptions {
  /**
   * Where unexpected (non-FsError) errors are logged.
   * @default a text logger on stderr
   */
  logger?: Logger;
  /** What was being done, for the log line (e.g. the RPC name). */
  operation?: string;
}

let defaultLogger: Logger | undefined;

/** Returns the status code for an error code. */
export function statusForErrorCode(code: ErrorCode): StatusCode {
  return STATUS_BY_ERROR_CODE[code];
}

/**
 * Turns any thrown value into a status code and message. An FsError maps
 * through {@link STATUS_BY_ERROR_CODE}; anything else is a server bug: 500
 * with its message, logged with its stack so it can be found.
 */
export function errorToReply(
  error: unknown,
  options: ErrorToReplyOptions = {},
): ErrorReply {
  if (error instanceof FsError) {
    return {
      status_code: statusForErrorCode(error.code),
      message: error.message,
    };
  }
  const message = messageOf(error) || "Internal server error";
  const logger = options.logger ?? (defaultLogger ??= createLogger());
  const stack = error instanceof Error && error.stack ? error.stack : message;
  logger.log("error", `Unexpected error: ${message}`, {
    operation: options.operation,
    status: StatusCode.INTERNAL_SERVER_ERROR,
    stack,
  });
  return { status_code: StatusCode.INTERNAL_SERVER_ERROR, message };
}

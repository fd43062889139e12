/**
 * Typed errors shared by every layer. Each error carries a code that says who
 * is at fault; the gRPC layer maps codes to status codes in one table.
 * @module
 */

/** Who is at fault, and so how a caller should react. */
export type ErrorCode =
  /** The request or config is wrong; fixing it is the caller's job (400). */
  | "BAD_REQUEST"
  /** The named function, checkpoint or resource does not exist (404). */
  | "NOT_FOUND"
  /** The name is already taken (409). */
  | "CONFLICT"
  /** A size or count limit was exceeded (400 for uploads, 429 for rates). */
  | "LIMIT_EXCEEDED"
  /** The caller is not authenticated (401). */
  | "UNAUTHENTICATED"
  /** The capability exists in the contract but not in this server (501). */
  | "NOT_IMPLEMENTED"
  /** An outside system (Kafka, disk) failed; retrying may help (503). */
  | "UNAVAILABLE"
  /** The operator's Python code raised or misbehaved. */
  | "USER_CODE"
  /** A bug or fault in the server itself (500). */
  | "INTERNAL";

/** Options for {@link FsError}. */
export interface FsErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /**
   * Whether the same operation may succeed when retried later.
   * @default true for UNAVAILABLE, false otherwise
   */
  retryable?: boolean;
}

/** An error with a code that classifies it (user, external or internal). */
export class FsError extends Error {
  /** Who is at fault. */
  readonly code: ErrorCode;
  /** Whether retrying the same operation later may succeed. */
  readonly retryable: boolean;

  /** Creates an error with a code and a human message. */
  constructor(code: ErrorCode, message: string, options: FsErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "FsError";
    this.code = code;
    this.retryable = options.retryable ?? code === "UNAVAILABLE";
  }
}

/** Returns the error's code, or INTERNAL for anything that is not an FsError. */
export function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof FsError ? error.code : "INTERNAL";
}

/** Returns a one-line human message for any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

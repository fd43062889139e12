/**
 * Exit codes of the CLI and the error that carries one up to `runCli`.
 * @module
 */
import { RpcError } from "./client.ts";

/** What the process exit code says about the run. */
export const ExitCode = {
  /** Everything worked. */
  OK: 0,
  /** The server answered with an error status (or a function failed). */
  SERVER_ERROR: 1,
  /** Unknown command or flag, missing argument, unreadable file. */
  USAGE: 2,
  /** The server could not be reached. */
  UNREACHABLE: 3,
  /** A deadline passed (a request or a wait). */
  TIMEOUT: 4,
} as const;

/** One value of {@link ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Options for {@link CliError}. */
export interface CliErrorOptions {
  /** Usage text printed after the error line (usage errors). */
  usage?: string;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * An error that ends a command: `runCli` prints `message` (already a full
 * line such as "error (404): ...") on stderr, then `usage` when set, and
 * returns `exitCode`.
 */
export class CliError extends Error {
  /** The exit code the run ends with. */
  readonly exitCode: ExitCode;
  /** Usage text to print after the message, for usage errors. */
  readonly usage?: string;

  /** Creates an error with the exit code and the line to print. */
  constructor(
    exitCode: ExitCode,
    message: string,
    options: CliErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.exitCode = exitCode;
    this.usage = options.usage;
  }
}

/** A usage error (exit 2): prints `error: <problem>` and the usage text. */
export function usageError(problem: string, usage?: string): CliError {
  return new CliError(ExitCode.USAGE, `error: ${problem}`, { usage });
}

/** The server answered with a non-2xx status (exit 1). */
export function serverError(statusCode: number, message: string): CliError {
  return new CliError(
    ExitCode.SERVER_ERROR,
    `error (${statusCode}): ${message}`,
  );
}

/** Whether a reply's status code means success (2xx). */
export function isOkStatus(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}

/** Throws {@link serverError} unless the reply's status is 2xx. */
export function expectOk<T extends { status_code: number; message: string }>(
  reply: T,
): T {
  if (!isOkStatus(reply.status_code)) {
    throw serverError(reply.status_code, reply.message);
  }
  return reply;
}

/**
 * Turns anything a command threw into a CliError: RPC failures map to exit
 * 3 (unreachable), 4 (timeout) or 1 (rejected); anything else is exit 1.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof RpcError) {
    const exitCode = error.kind === "unreachable"
      ? ExitCode.UNREACHABLE
      : error.kind === "timeout"
      ? ExitCode.TIMEOUT
      : ExitCode.SERVER_ERROR;
    return new CliError(exitCode, `error: ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(ExitCode.SERVER_ERROR, `error: ${message}`, {
    cause: error,
  });
}

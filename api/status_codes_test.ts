import assert from "node:assert/strict";
import { type ErrorCode, FsError, type LogLevel } from "../runtime/core/mod.ts";
import { StatusCode } from "./proto.ts";
import {
  errorToReply,
  STATUS_BY_ERROR_CODE,
  statusForErrorCode,
} from "./status_codes.ts";

function recordingLogger() {
  const lines: {
    level: LogLevel;
    message: string;
    fields?: Record<string, unknown>;
  }[] = [];
  return {
    lines,
    log: (level: LogLevel, message: string, fields?: Record<string, unknown>) =>
      lines.push({ level, message, fields }),
  };
}

Deno.test("STATUS_BY_ERROR_CODE maps every error code to its status", () => {
  const expected: Record<ErrorCode, number> = {
    BAD_REQUEST: 400,
    LIMIT_EXCEEDED: 400,
    NOT_FOUND: 404,
    CONFLICT: 409,
    UNAUTHENTICATED: 401,
    NOT_IMPLEMENTED: 501,
    UNAVAILABLE: 503,
    USER_CODE: 400,
    INTERNAL: 500,
  };
  assert.deepEqual({ ...STATUS_BY_ERROR_CODE }, expected);
  for (const [code, status] of Object.entries(expected)) {
    assert.equal(statusForErrorCode(code as ErrorCode), status);
  }
});

Deno.test("errorToReply() keeps an FsError's message and maps its code without logging", () => {
  const logger = recordingLogger();
  const reply = errorToReply(
    new FsError("NOT_FOUND", "Function 'x' not found"),
    { logger },
  );
  assert.deepEqual(reply, {
    status_code: 404,
    message: "Function 'x' not found",
  });
  assert.equal(logger.lines.length, 0);
  assert.equal(
    errorToReply(new FsError("CONFLICT", "taken")).status_code,
    StatusCode.CONFLICT,
  );
});

Deno.test("errorToReply() answers 500 for other values and logs them once with the stack", () => {
  const logger = recordingLogger();
  const reply = errorToReply(new TypeError("x is undefined"), {
    logger,
    operation: "DropFunction",
  });
  assert.deepEqual(reply, { status_code: 500, message: "x is undefined" });
  assert.equal(logger.lines.length, 1);
  assert.equal(logger.lines[0].level, "error");
  assert.match(logger.lines[0].message, /x is undefined/);
  assert.equal(logger.lines[0].fields?.operation, "DropFunction");
  assert.match(String(logger.lines[0].fields?.stack), /TypeError/);

  assert.deepEqual(errorToReply("plain string", { logger }), {
    status_code: 500,
    message: "plain string",
  });
  assert.deepEqual(errorToReply(new Error(""), { logger }), {
    status_code: 500,
    message: "Internal server error",
  });
  assert.equal(logger.lines.length, 3);
});

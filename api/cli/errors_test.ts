import assert from "node:assert/strict";
import { RpcError } from "./client.ts";
import {
  CliError,
  ExitCode,
  expectOk,
  isOkStatus,
  toCliError,
  usageError,
} from "./errors.ts";

Deno.test("expectOk() passes 2xx replies and turns others into 'error (code): message' with exit 1", () => {
  const ok = { status_code: 201, message: "created" };
  assert.equal(expectOk(ok), ok);
  assert.equal(isOkStatus(0), false);
  assert.throws(
    () => expectOk({ status_code: 409, message: "taken" }),
    (error: unknown) =>
      error instanceof CliError && error.exitCode === ExitCode.SERVER_ERROR &&
      error.message === "error (409): taken",
  );
});

Deno.test("toCliError() maps RPC failures to exit 3, 4 and 1, and keeps CliErrors", () => {
  const code = (kind: "unreachable" | "timeout" | "failed") =>
    toCliError(new RpcError(kind, 0, "why")).exitCode;
  assert.equal(code("unreachable"), 3);
  assert.equal(code("timeout"), 4);
  assert.equal(code("failed"), 1);
  assert.equal(
    toCliError(new RpcError("timeout", 4, "slow")).message,
    "error: slow",
  );
  const usage = usageError("missing NAME", "Usage: x");
  assert.equal(toCliError(usage), usage);
  assert.equal(usage.exitCode, 2);
  assert.equal(usage.usage, "Usage: x");
  assert.equal(toCliError(new Error("boom")).message, "error: boom");
});

import assert from "node:assert/strict";
import {
  callState,
  ensureLive,
  MAX_FUNCTION_NAME_LENGTH,
  requireName,
} from "./_call_checks.ts";

Deno.test("requireName() trims the name and names the action when it is empty or too long", () => {
  assert.equal(requireName("  etl ", "stop function"), "etl");
  assert.equal(
    requireName("x".repeat(MAX_FUNCTION_NAME_LENGTH), "stop function").length,
    128,
  );
  assert.throws(
    () => requireName(undefined, "list checkpoints"),
    (error: Error & { code?: string }) =>
      error.code === "BAD_REQUEST" &&
      error.message ===
        'Cannot list checkpoints as function_name is empty: current value is ""',
  );
  assert.throws(
    () => requireName("y".repeat(129), "drop function"),
    /^FsError: Cannot drop function as function_name is longer than 128 characters, the limit for function names: current length is 129$/,
  );
});

Deno.test("callState() is over once the call is cancelled or its deadline passed", () => {
  assert.equal(callState({}).isOver(), false);
  assert.equal(callState({ cancelled: true }).isOver(), true);
  assert.equal(
    callState({ getDeadline: () => Date.now() + 60_000 }).isOver(),
    false,
  );
  assert.equal(callState({ getDeadline: () => new Date(0) }).isOver(), true);
  assert.equal(callState({ getDeadline: () => Infinity }).isOver(), false);
});

Deno.test("ensureLive() refuses with UNAVAILABLE once the caller is gone", () => {
  ensureLive(callState({}), "stop function 'a'");
  assert.throws(
    () => ensureLive(callState({ cancelled: true }), "stop function 'a'"),
    (error: Error & { code?: string }) =>
      error.code === "UNAVAILABLE" &&
      /^Cannot stop function 'a' as the caller cancelled the call/.test(
        error.message,
      ),
  );
});

import assert from "node:assert/strict";
import {
  DEFAULT_SUPERVISION_SETTINGS,
  FsError,
  type LogFields,
  type LogLevel,
} from "../core/mod.ts";
import { noMetrics } from "../metrics/mod.ts";
import { MemoryLimitError } from "../isolate/mod.ts";
import { briefError, FunctionSupervisor } from "./supervisor.ts";

const TRACEBACK =
  `Cannot finish process() of function 'f' as the operator raised:
Traceback (most recent call last):
  File "/app/op.py", line 5, in process
    raise ValueError("always broken")
ValueError: always broken`;

Deno.test("briefError() names the exception and the hook of a traceback", () => {
  assert.equal(
    briefError(TRACEBACK),
    "ValueError: always broken (in process())",
  );
  assert.equal(briefError("Kafka is down"), "Kafka is down");
  assert.equal(briefError(""), "unknown error");
});

function setup(settings = {}) {
  const lines: [LogLevel, string, LogFields?][] = [];
  const counted: string[] = [];
  let restarts = 0;
  const supervisor = new FunctionSupervisor({
    functionName: "f",
    logger: { log: (...line) => lines.push(line) },
    metrics: { ...noMetrics, functionFailed: (fn) => counted.push(fn) },
    restart: () => restarts++,
  });
  supervisor.reset({
    ...DEFAULT_SUPERVISION_SETTINGS,
    maxRestarts: 2,
    restartBackoffMs: 10,
    restartBackoffMaxMs: 20,
    ...settings,
  });
  return { supervisor, lines, counted, restarts: () => restarts };
}

Deno.test("FunctionSupervisor logs the traceback, counts, and restarts after the backoff", async () => {
  const { supervisor, lines, counted, restarts } = setup();
  const outcome = supervisor.failed(new FsError("USER_CODE", TRACEBACK));
  assert.equal(outcome.status, "RESTARTING");
  assert.match(
    outcome.lastError,
    /^ValueError: always broken \(in process\(\)\)\n/,
  );
  assert.deepEqual(lines[0], ["error", "function error", {
    function: "f",
    error: TRACEBACK,
    errors: 1,
  }]);
  assert.equal(lines[1][1], "function restarting");
  assert.deepEqual(counted, ["f"]);
  assert.equal(restarts(), 0);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(restarts(), 1);
  assert.equal(supervisor.errorCount, 1);
  assert.equal(supervisor.restartCount, 1);
});

Deno.test("FunctionSupervisor gives up past max_restarts with the reason", () => {
  const { supervisor, lines } = setup();
  supervisor.failed(new Error(TRACEBACK));
  supervisor.failed(new Error(TRACEBACK));
  const outcome = supervisor.failed(new Error(TRACEBACK));
  supervisor.cancel();
  assert.equal(outcome.status, "FAILED");
  assert.match(
    outcome.lastError,
    /^ValueError: always broken \(in process\(\)\); gave up after 2 restarts/,
  );
  assert.match(outcome.lastError, /Traceback/);
  assert.equal(lines.at(-1)?.[1], "function failed");
  assert.equal(supervisor.errorCount, 3);
  assert.equal(supervisor.restartCount, 2);
});

Deno.test("FunctionSupervisor.cancel() stops a scheduled restart", async () => {
  const { supervisor, restarts } = setup();
  supervisor.failed(new Error("Kafka is down"));
  supervisor.cancel();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(restarts(), 0);
});

Deno.test("FunctionSupervisor fails a function over its memory limit at once, without using up the policy", async () => {
  const { supervisor, restarts } = setup({ maxRestarts: 5 });
  const error = new MemoryLimitError("f", "process", {
    limitBytes: 64 * 1024 * 1024,
    text: "Traceback (most recent call last):\nMemoryError",
  });
  const outcome = supervisor.failed(error);
  assert.equal(outcome.status, "FAILED");
  assert.match(
    outcome.lastError,
    /^MemoryError \(in process\(\)\); memory limit exceeded: not restarted/,
  );
  assert.match(outcome.lastError, /limit of 64 MiB \(memory limit exceeded\)/);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(restarts(), 0);
  assert.equal(supervisor.restartCount, 0);
  // A later failure of another kind still gets every restart.
  assert.equal(supervisor.failed(new Error(TRACEBACK)).status, "RESTARTING");
  supervisor.cancel();
});

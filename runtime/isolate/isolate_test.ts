import assert from "node:assert/strict";
import { FsError, type IsolationMode } from "../core/mod.ts";
import {
  FakeStateBackend,
  jsonRecords,
  METRIC_PROCESSOR,
  pyModule,
  startIsolate,
  texts,
} from "./_test_util.ts";
import { WATERMARK_HEADER } from "./_packing.ts";
import { MemoryLimitError } from "./_failures.ts";

const decoder = new TextDecoder();

/**
 * `eachIsolation.test(name, fn)` registers the test for worker isolation
 * and again for process isolation (the same behaviour through a child
 * process).
 */
const eachIsolation = {
  test(name: string, fn: (isolation: IsolationMode) => Promise<void>): void {
    for (const isolation of ["worker", "process"] as const) {
      Deno.test({
        name: isolation === "worker" ? name : `${name} (process isolation)`,
        // A child process's pipes and exit status settle after close().
        sanitizeOps: isolation === "worker",
        sanitizeResources: isolation === "worker",
        fn: () => fn(isolation),
      });
    }
  },
};

async function rejects(
  promise: Promise<unknown>,
  code: string,
  ...fragments: string[]
): Promise<FsError> {
  const error = await promise.then(
    () => assert.fail("expected a rejection"),
    (e) => e,
  );
  assert.ok(error instanceof FsError, `not an FsError: ${error}`);
  assert.equal(error.code, code, error.message);
  for (const fragment of fragments) {
    assert.ok(
      error.message.includes(fragment),
      `missing ${JSON.stringify(fragment)} in: ${error.message}`,
    );
  }
  return error;
}

eachIsolation.test("FunctionIsolate runs the seed's MetricProcessor over 1,000 records and a restart continues the count", async (isolation) => {
  const state = new FakeStateBackend();
  const options = {
    modules: [pyModule("metric_job", METRIC_PROCESSOR)],
    className: "MetricProcessor",
    initConfig: { metric_name: "user_click" },
    state,
  };
  const first = await startIsolate({ ...options, isolation });
  const totals: number[] = [];
  const values = Array.from({ length: 1000 }, () => ({ value: 1 }));
  for (let i = 0; i < values.length; i += 100) {
    const result = await first.process(jsonRecords(values.slice(i, i + 100)));
    for (const text of texts(result.outputs)) {
      const parsed = JSON.parse(text);
      assert.equal(parsed.metric, "user_click");
      totals.push(parsed.total);
    }
    assert.equal(result.outputs.every((o) => o.channel === 0), true);
    // One dirty key per batch, whatever the number of records.
    assert.equal(result.mutations.length, 1);
    const [mutation] = result.mutations;
    assert.equal(mutation.op, "put");
    assert.equal(mutation.store, "stats_db");
    if (mutation.op === "put" && mutation.key.kind === "simple") {
      assert.equal(decoder.decode(mutation.key.key), "count:user_click");
      assert.equal(decoder.decode(mutation.value), String(i + 100));
    } else assert.fail("expected a simple put");
    state.apply("test-fn", result.mutations);
  }
  assert.deepEqual(totals, Array.from({ length: 1000 }, (_, i) => i + 1));
  // Only the first record missed the cache.
  assert.equal(state.calls.get, 1);
  await first.close();

  const second = await startIsolate({ ...options, isolation });
  const next = await second.process(jsonRecords([{ value: 5 }, {}]));
  assert.deepEqual(texts(next.outputs).map((t) => JSON.parse(t).total), [
    1005,
    1006,
  ]);
  await second.close();
});

Deno.test("FunctionIsolate finds the class in a package with relative imports and passes init_config", async () => {
  const isolate = await startIsolate({
    modules: [
      pyModule("shop.util", "def shout(s):\n    return s.upper()\n"),
      pyModule(
        "shop.ops.impl",
        "from ..util import shout\nfrom fs_api import FSProcessorDriver\n\n" +
          "class Upper(FSProcessorDriver):\n" +
          "    def init(self, ctx, config):\n" +
          "        self.prefix = config['prefix']\n" +
          "        self.same = ctx.getConfig() == config\n" +
          "    def process(self, ctx, source_id, data):\n" +
          "        ctx.emit(f'{self.prefix}{shout(data.decode())}:{source_id}:{self.same}'.encode(), 1)\n",
      ),
      pyModule("main", "import shop.ops.impl\nVALUE = 1\n"),
    ],
    className: "Upper",
    initConfig: { prefix: ">" },
    outputCount: 2,
  });
  const result = await isolate.process(jsonRecords(["ab"], 3));
  assert.deepEqual(texts(result.outputs), ['>"AB":3:True']);
  assert.equal(result.outputs[0].channel, 1);
  await isolate.close();
});

Deno.test("FunctionIsolate.start() rejects a class that is absent or not a driver", async () => {
  await rejects(
    startIsolate({ modules: [pyModule("m", "X = 1\n")], className: "Op" }),
    "USER_CODE",
    "Cannot find class 'Op'",
    "m",
  );
  await rejects(
    startIsolate({
      modules: [pyModule("m", "class Op:\n    pass\n")],
      className: "Op",
    }),
    "USER_CODE",
    "not a subclass of fs_api.FSProcessorDriver",
  );
  await rejects(
    startIsolate({ modules: [pyModule("json", "")], className: "Op" }),
    "USER_CODE",
    "shadow",
  );
  await rejects(
    startIsolate({ modules: [pyModule("fs_api", "")], className: "Op" }),
    "BAD_REQUEST",
    "module name",
  );
});

Deno.test("FunctionIsolate.start() reports a SyntaxError of a module with its traceback", async () => {
  await rejects(
    startIsolate({
      modules: [pyModule("broken", "def f(:\n    pass\n")],
      className: "Op",
    }),
    "USER_CODE",
    "Cannot import the modules of function 'test-fn'",
    "SyntaxError",
    "broken.py",
  );
});

Deno.test("FunctionIsolate.start() reports an exception in init with its traceback", async () => {
  await rejects(
    startIsolate({
      modules: [pyModule(
        "m",
        "from fs_api import FSProcessorDriver\nclass Op(FSProcessorDriver):\n" +
          "    def init(self, ctx, config):\n        raise KeyError('needed')\n",
      )],
    }),
    "USER_CODE",
    "init()",
    "Traceback",
    "KeyError: 'needed'",
  );
});

const CHANNEL_OP = `from fs_api import FSProcessorDriver
class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        if data == b'"catch"':
            try:
                ctx.emit(b"x", 7)
            except ValueError as e:
                ctx.emit(str(e).encode(), 0)
        else:
            ctx.emit(b"before", 0)
            ctx.getOrCreateKVStore("s").put_state(b"k", b"v")
            ctx.emit(b"x", 7)
`;

Deno.test("ctx.emit() to a missing channel raises a ValueError the operator can catch", async () => {
  const isolate = await startIsolate({ modules: [pyModule("m", CHANNEL_OP)] });
  const result = await isolate.process(jsonRecords(["catch"]));
  assert.deepEqual(texts(result.outputs), [
    "Cannot emit to channel 7 as the task has 1 output(s): valid channels are 0..0",
  ]);
  await isolate.close();
});

Deno.test("FunctionIsolate.process() rejects with USER_CODE naming the channel and drops the batch", async () => {
  const isolate = await startIsolate({ modules: [pyModule("m", CHANNEL_OP)] });
  await rejects(
    isolate.process(jsonRecords(["ok", "fail"])),
    "USER_CODE",
    "process()",
    "ValueError",
    "channel 7",
    "Traceback",
    'm.py", line 12, in process',
  );
  // The failed batch's outputs and writes are gone; the next call starts clean.
  const after = await isolate.process(jsonRecords(["catch"]));
  assert.equal(after.outputs.length, 1);
  assert.deepEqual(after.mutations, []);
  await isolate.close();
});

const HOOKS_OP = `import logging
from fs_api import FSProcessorDriver
log = logging.getLogger("ops")
class Op(FSProcessorDriver):
    def init(self, ctx, config):
        self.n = 0
        print("hello from init")
    def process(self, ctx, source_id, data):
        self.n += 1
        print("record", data.decode())
        log.warning("seen %d", self.n)
    def process_watermark(self, ctx, source_id, watermark):
        ctx.emit_watermark(watermark + source_id, 0)
        ctx.getOrCreateKVStore("w").put_state(b"wm", str(watermark).encode())
    def take_checkpoint(self, ctx, checkpoint_id):
        return f"n={self.n};id={checkpoint_id}".encode()
    def restore_checkpoint(self, ctx, checkpoint_id, data):
        self.n = int(data.decode().split(";")[0][2:])
        ctx.getOrCreateKVStore("w").put_state(b"restored", data)
    def check_heartbeat(self, ctx):
        return self.n < 3
    def custom(self, payload):
        return payload[::-1]
    def close(self, ctx):
        ctx.emit(b"bye", 0)
`;

eachIsolation.test("FunctionIsolate calls every hook: watermark, checkpoint extra, restore, heartbeat, custom, close", async (isolation) => {
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule("m", HOOKS_OP)],
  });
  const wm = await isolate.processWatermark(2, 1000);
  assert.equal(wm.outputs.length, 1);
  assert.equal(wm.outputs[0].value.length, 0);
  assert.equal(wm.outputs[0].headers?.[0].key, WATERMARK_HEADER);
  assert.equal(decoder.decode(wm.outputs[0].headers?.[0].value!), "1002");
  assert.equal(wm.mutations.length, 1);

  await isolate.process(jsonRecords([1, 2]));
  const checkpoint = await isolate.takeCheckpoint(9);
  assert.equal(decoder.decode(checkpoint.extra!), "n=2;id=9");
  assert.equal(await isolate.checkHeartbeat(), true);
  await isolate.restoreCheckpoint(9, new TextEncoder().encode("n=5;id=9"));
  assert.equal(await isolate.checkHeartbeat(), false);
  assert.deepEqual(
    await isolate.custom(new TextEncoder().encode("abc")),
    new TextEncoder().encode("cba"),
  );
  // restore's write is handed out by the next call that hands anything out.
  const closing = await isolate.close();
  assert.deepEqual(texts(closing.outputs), ["bye"]);
  assert.equal(closing.mutations.length, 1);
  assert.deepEqual(await isolate.close(), closing);
  await rejects(isolate.process(jsonRecords([1])), "INTERNAL", "closed");
});

eachIsolation.test("FunctionIsolate sends print and logging lines to onLog tagged with the function", async (isolation) => {
  const lines: string[] = [];
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule("m", HOOKS_OP)],
    functionName: "logger-fn",
    onLog: (line, info) => lines.push(`${info.stream} ${line}`),
  });
  await isolate.process(jsonRecords(["a"]));
  await isolate.close();
  assert.deepEqual(lines, [
    "stdout [logger-fn] hello from init",
    'stdout [logger-fn] record "a"',
    "stderr [logger-fn] WARNING ops: seen 1",
  ]);
});

eachIsolation.test("FunctionIsolate reports a state read failure as UNAVAILABLE", async (isolation) => {
  const state = new FakeStateBackend();
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule("metric", METRIC_PROCESSOR)],
    className: "MetricProcessor",
    state,
  });
  state.failNext = new FsError("UNAVAILABLE", "kv is down");
  await rejects(
    isolate.process(jsonRecords([{}])),
    "UNAVAILABLE",
    "KvIOError",
    "kv is down",
  );
  await isolate.close();
});

eachIsolation.test("FunctionIsolate rejects pending calls when the worker crashes or is terminated", async (isolation) => {
  const crashing = await startIsolate({
    isolation,
    modules: [pyModule(
      "m",
      "from fs_api import FSProcessorDriver\nimport js\n" +
        "from pyodide.ffi import create_once_callable\n" +
        "def boom():\n    raise RuntimeError('js boom')\n" +
        "class Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n" +
        "        js.setTimeout(create_once_callable(boom), 0)\n" +
        "        import time\n" +
        "        from pyodide.ffi import run_sync\n" +
        "        from js import Promise\n" +
        "        run_sync(Promise.new(lambda resolve, reject: None))\n",
    )],
  });
  await rejects(
    crashing.process(jsonRecords([1])),
    "USER_CODE",
    "crashed",
    "js boom",
  );
  assert.equal(crashing.dead, true);
  await rejects(crashing.processWatermark(0, 1), "USER_CODE", "crashed");

  const looping = await startIsolate({
    isolation,
    modules: [pyModule(
      "m",
      "from fs_api import FSProcessorDriver\nclass Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n        while True:\n            pass\n",
    )],
  });
  const pending = looping.process(jsonRecords([1]));
  setTimeout(() => looping.terminate(), 200);
  await rejects(pending, "INTERNAL", "terminated");
  assert.deepEqual(await looping.close(), { outputs: [], mutations: [] });
});

eachIsolation.test("FunctionIsolate rejects a call whose operator closes its worker", async (isolation) => {
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule(
      "m",
      "from fs_api import FSProcessorDriver\nimport js\nclass Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n        js.close()\n",
    )],
  });
  await rejects(
    isolate.process(jsonRecords([1])),
    "USER_CODE",
    "closed its worker",
  );
});

eachIsolation.test("FunctionIsolate terminates a hook that runs past callTimeoutMs", async (isolation) => {
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule(
      "m",
      "from fs_api import FSProcessorDriver\nclass Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n        while data:\n            pass\n",
    )],
    callTimeoutMs: 300,
  });
  assert.deepEqual(
    await isolate.process(
      jsonRecords([""]).map((r) => ({ ...r, value: new Uint8Array(0) })),
    ),
    {
      outputs: [],
      mutations: [],
    },
  );
  await rejects(
    isolate.process(jsonRecords([1])),
    "USER_CODE",
    "within 300 ms",
  );
  assert.equal(isolate.dead, true);
});

eachIsolation.test("FunctionIsolate: a callback an operator schedules to run between calls is cut by the next call's deadline", async (isolation) => {
  // asyncio runs `spin` on the worker's event loop after `process` returned,
  // outside any call: the worker never answers again, so the next call
  // times out and ends the worker instead of hanging.
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule(
      "m",
      "import asyncio\nfrom fs_api import FSProcessorDriver\n" +
        "def spin():\n    while True:\n        pass\n" +
        "class Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n" +
        "        if data == b'1':\n" +
        "            asyncio.get_event_loop().call_later(0.05, spin)\n" +
        "        ctx.emit(data, 0)\n",
    )],
    callTimeoutMs: 1000,
  });
  assert.deepEqual(texts((await isolate.process(jsonRecords([1]))).outputs), [
    "1",
  ]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await rejects(
    isolate.process(jsonRecords([2])),
    "USER_CODE",
    "within 1000 ms",
  );
  assert.equal(isolate.dead, true);
});

eachIsolation.test("FunctionIsolate caps memory at maxMemoryBytes: the call fails with MemoryLimitError and the isolate stays usable", async (isolation) => {
  const isolate = await startIsolate({
    isolation,
    modules: [pyModule(
      "m",
      "from fs_api import FSProcessorDriver\nclass Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n" +
        "        ctx.emit(str(len(b'x' * int(data))).encode(), 0)\n",
    )],
    maxMemoryBytes: 128 * 1024 * 1024,
  });
  const error = await rejects(
    isolate.process(jsonRecords([200_000_000])),
    "LIMIT_EXCEEDED",
    "MemoryError",
    "memory limit exceeded",
    "limit of 128 MiB",
  );
  assert.ok(error instanceof MemoryLimitError);
  assert.ok(isolate.heapBytes <= 128 * 1024 * 1024);
  const small = await isolate.process(jsonRecords([1_000_000]));
  assert.deepEqual(texts(small.outputs), ["1000000"]);
  await isolate.close();
});

Deno.test("FunctionIsolate: a MemoryError the operator catches is no failure, one it replaces is still a MemoryLimitError", async () => {
  const isolate = await startIsolate({
    modules: [pyModule(
      "m",
      "from fs_api import FSProcessorDriver\nclass Op(FSProcessorDriver):\n" +
        "    def process(self, ctx, source_id, data):\n" +
        "        try:\n            bytearray(200_000_000)\n" +
        "        except MemoryError:\n" +
        "            if data == b'\"raise\"':\n                raise ValueError('no memory')\n" +
        "        ctx.emit(b'caught', 0)\n",
    )],
    maxMemoryBytes: 96 * 1024 * 1024,
  });
  const caught = await isolate.process(jsonRecords(["catch"]));
  assert.deepEqual(texts(caught.outputs), ["caught"]);
  const error = await rejects(
    isolate.process(jsonRecords(["raise"])),
    "LIMIT_EXCEEDED",
    "ValueError: no memory",
    "memory limit exceeded",
  );
  assert.ok(error instanceof MemoryLimitError);
  await isolate.close();
});

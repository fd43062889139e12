import assert from "node:assert/strict";
import {
  jsonRecords,
  pyModule,
  startIsolate,
  testSnapshot,
  texts,
} from "./_test_util.ts";
import { MemoryLimitError } from "./_failures.ts";

const PROBE = "from fs_api import FSProcessorDriver\nimport js\n" +
  "class Op(FSProcessorDriver):\n" +
  "    def init(self, ctx, config):\n" +
  "        self.started = config['name']\n" +
  "    def process(self, ctx, source_id, data):\n" +
  "        n = int(data)\n" +
  "        if n:\n" +
  "            ctx.emit(str(len(b'x' * n)).encode(), 0)\n" +
  "        else:\n" +
  "            ctx.emit(f'{self.started} {hasattr(js, \"Deno\")}'.encode(), 0)\n";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("PyodideSnapshot.keepWarm(1) hands FunctionIsolate.start a loaded worker and loads a replacement", async () => {
  const snapshot = await testSnapshot();
  snapshot.keepWarm(1, { refillDelayMs: 3000 });
  try {
    assert.equal(snapshot.warmWorkers, 1);
    const first = await startIsolate({
      modules: [pyModule("probe", PROBE)],
      initConfig: { name: "first" },
    });
    assert.equal(snapshot.warmWorkers, 0, "the start took the warm worker");
    const out = await first.process(jsonRecords([0]));
    assert.deepEqual(texts(out.outputs), ["first False"]);
    // The warm-up's made-up records left nothing behind: no outputs or
    // state writes of its own reach the function's first call.
    assert.deepEqual(out.mutations, []);
    await first.close();
    await sleep(3100);
    assert.equal(snapshot.warmWorkers, 1, "a replacement is loading");
    // Two functions never share a worker.
    const [a, b] = await Promise.all(
      ["a", "b"].map((name) =>
        startIsolate({
          modules: [pyModule("probe", PROBE)],
          initConfig: { name },
        })
      ),
    );
    assert.deepEqual(
      texts((await a.process(jsonRecords([0]))).outputs),
      ["a False"],
    );
    assert.deepEqual(
      texts((await b.process(jsonRecords([0]))).outputs),
      ["b False"],
    );
    await a.close();
    await b.close();
  } finally {
    snapshot.keepWarm(0);
  }
  assert.equal(snapshot.warmWorkers, 0);
});

Deno.test("A warm worker's function gets its memory cap and the locked realm", async () => {
  const snapshot = await testSnapshot();
  snapshot.keepWarm(1);
  try {
    // Let the worker finish loading (and its idle collection run) first.
    await sleep(1500);
    const isolate = await startIsolate({
      modules: [pyModule("probe", PROBE)],
      initConfig: { name: "capped" },
      maxMemoryBytes: 128 * 1024 * 1024,
    });
    assert.equal(snapshot.warmWorkers, 0);
    assert.deepEqual(
      texts((await isolate.process(jsonRecords([0]))).outputs),
      ["capped False"],
    );
    await assert.rejects(
      isolate.process(jsonRecords([200_000_000])),
      (error) => error instanceof MemoryLimitError,
    );
    assert.deepEqual(
      texts((await isolate.process(jsonRecords([1_000_000]))).outputs),
      ["1000000"],
    );
    await isolate.close();
  } finally {
    snapshot.keepWarm(0);
  }
});

Deno.test("keepWarm(1, {isolation: 'process'}) hands a loaded process only to a start with the same memory limit", async () => {
  const snapshot = await testSnapshot();
  const limit = 192 * 1024 * 1024;
  snapshot.keepWarm(1, {
    isolation: "process",
    maxMemoryBytes: limit,
    refillDelayMs: 60_000,
  });
  try {
    assert.equal(snapshot.warmWorkers, 1);
    // A worker start and a process start with another limit spawn anew.
    const inWorker = await startIsolate({
      modules: [pyModule("probe", PROBE)],
      initConfig: { name: "in-worker" },
    });
    const otherLimit = await startIsolate({
      modules: [pyModule("probe", PROBE)],
      initConfig: { name: "other-limit" },
      isolation: "process",
      maxMemoryBytes: 128 * 1024 * 1024,
    });
    assert.equal(snapshot.warmWorkers, 1, "neither took the warm process");
    const warm = await startIsolate({
      modules: [pyModule("probe", PROBE)],
      initConfig: { name: "warm" },
      isolation: "process",
      maxMemoryBytes: limit,
    });
    assert.equal(snapshot.warmWorkers, 0, "the start took the warm process");
    for (
      const [isolate, name] of [
        [inWorker, "in-worker"],
        [otherLimit, "other-limit"],
        [warm, "warm"],
      ] as const
    ) {
      assert.deepEqual(
        texts((await isolate.process(jsonRecords([0]))).outputs),
        [`${name} False`],
      );
    }
    // The warm process got its function's Python memory cap with `start`.
    await assert.rejects(
      warm.process(jsonRecords([300_000_000])),
      (error) => error instanceof MemoryLimitError,
    );
    await Promise.all([inWorker.close(), otherLimit.close(), warm.close()]);
  } finally {
    snapshot.keepWarm(0);
  }
  assert.equal(snapshot.warmWorkers, 0);
});

Deno.test("keepWarm with another kind ends the workers kept before", async () => {
  const snapshot = await testSnapshot();
  try {
    snapshot.keepWarm(1);
    assert.equal(snapshot.warmWorkers, 1);
    snapshot.keepWarm(1, { isolation: "process", maxMemoryBytes: 0 });
    assert.equal(snapshot.warmWorkers, 1);
    assert.equal(
      snapshot.takeWarmWorker({ isolation: "worker", maxMemoryBytes: 0 }),
      undefined,
    );
    const taken = snapshot.takeWarmWorker({
      isolation: "process",
      maxMemoryBytes: 0,
    });
    assert.ok(taken, "a process is kept now");
    taken.terminate();
  } finally {
    snapshot.keepWarm(0);
  }
});

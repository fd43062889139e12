/**
 * Benchmark of the isolate, each figure beside its baseline in the same run:
 * - start: FunctionIsolate.start() from the snapshot (worker spawn, snapshot
 *   load, module import, init) vs a bare loadPyodide on the main thread;
 * - throughput: the seed's MetricProcessor with batches of 1, 100 and 1000
 *   records (state committed to the in-memory backend after every batch),
 *   and the same operator on native CPython when `python3` is on PATH;
 * - state: a hot get/put loop on a KvStore vs the same loop on a dict, both
 *   inside the same Pyodide.
 *
 *   deno run -A scripts/bench/isolate_bench.ts [--records=20000]
 * @module
 */
import { loadPyodide } from "pyodide";
import {
  FunctionIsolate,
  type IsolateOptions,
  PyodideSnapshot,
} from "../../runtime/isolate/mod.ts";
import { MemoryStateBackend } from "../../runtime/state/mod.ts";
import type { InputRecord } from "../../runtime/core/mod.ts";
import { inputRecords } from "./_operator.ts";

const records = Number(
  Deno.args.find((a) => a.startsWith("--records="))?.split("=")[1] ?? 20000,
);
const repo = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();

const METRIC_PROCESSOR = `from fs_api import FSProcessorDriver, Context
import json

class MetricProcessor(FSProcessorDriver):
    def init(self, ctx: Context, config: dict):
        self.metric_name = config.get("metric_name", "default_event")

    def process(self, ctx: Context, source_id: int, data: bytes):
        event = json.loads(data.decode())
        store = ctx.getOrCreateKVStore("stats_db")
        key = f"count:{self.metric_name}".encode()
        current_val = int(store.get_state(key) or 0)
        new_val = current_val + event.get("value", 1)
        store.put_state(key, str(new_val).encode())
        result = {"metric": self.metric_name, "total": new_val}
        ctx.emit(json.dumps(result).encode(), 0)
`;

const HOT_LOOP = `import json, time
from fs_api import FSProcessorDriver

class HotLoop(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        n = int(data)
        store = ctx.getOrCreateKVStore("hot")
        keys = [b"k%d" % (i % 16) for i in range(n)]
        for key in keys[:16]:
            store.put_state(key, b"0")
        t = time.perf_counter()
        for key in keys:
            store.put_state(key, str(int(store.get_state(key)) + 1).encode())
        kv = time.perf_counter() - t
        plain = {key: b"0" for key in keys[:16]}
        t = time.perf_counter()
        for key in keys:
            plain[key] = str(int(plain.get(key)) + 1).encode()
        native = time.perf_counter() - t
        ctx.emit(json.dumps({"kv": kv / n * 1e9, "dict": native / n * 1e9}).encode(), 0)
`;

const CPYTHON = `import json, sys, time
sys.path.insert(0, ${JSON.stringify(`${repo}python/fs_api/src`)})
from fs_api.testing import TestContext
${METRIC_PROCESSOR}
n = int(sys.argv[1])
ctx = TestContext({"metric_name": "user_click"}, outputs=1)
op = MetricProcessor()
op.init(ctx, ctx.getConfig())
data = [json.dumps({"value": 1}).encode() for _ in range(n)]
t = time.perf_counter()
for d in data:
    op.process(ctx, 0, d)
print(n / (time.perf_counter() - t))
`;

function row(cells: (string | number)[]): string {
  return cells.map((c, i) =>
    (typeof c === "number" ? c.toFixed(c >= 100 ? 0 : 2) : c).padEnd(
      i === 0 ? 54 : 14,
    )
  ).join("");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function inputs(n: number): InputRecord[] {
  const value = encoder.encode(JSON.stringify({ value: 1 }));
  return inputRecords(Array.from({ length: n }, () => value));
}

const t0 = performance.now();
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});
const prepareMs = performance.now() - t0;

function options(
  fn: string,
  state: MemoryStateBackend,
  className: string,
  source: string,
): IsolateOptions {
  return {
    functionName: fn,
    className,
    modules: [{ name: "op", source: encoder.encode(source) }],
    initConfig: { metric_name: "user_click" },
    outputCount: 1,
    state,
    snapshot,
  };
}

// Start times.
const bare: number[] = [];
for (let i = 0; i < 2; i++) {
  const t = performance.now();
  await loadPyodide({ indexURL: `${repo}node_modules/pyodide/` });
  bare.push(performance.now() - t);
}
const fromSnapshot: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const isolate = await FunctionIsolate.start(
    options(
      `start-${i}`,
      new MemoryStateBackend(),
      "MetricProcessor",
      METRIC_PROCESSOR,
    ),
  );
  fromSnapshot.push(performance.now() - t);
  await isolate.close();
}

// MetricProcessor throughput.
const throughput = new Map<number, number>();
for (const batch of [1, 100, 1000]) {
  const state = new MemoryStateBackend();
  const fn = `metric-${batch}`;
  const isolate = await FunctionIsolate.start(
    options(fn, state, "MetricProcessor", METRIC_PROCESSOR),
  );
  const total = batch === 1 ? Math.min(records, 3000) : records;
  const all = inputs(total);
  await isolate.process(all.slice(0, batch)); // warm up
  const t = performance.now();
  for (let i = 0; i < total; i += batch) {
    const result = await isolate.process(all.slice(i, i + batch));
    await state.commit(fn, { mutations: result.mutations });
  }
  throughput.set(batch, total / ((performance.now() - t) / 1000));
  await isolate.close();
}

let cpython: number | null = null;
try {
  const out = await new Deno.Command("python3", {
    args: ["-c", CPYTHON, String(records)],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (out.success) cpython = Number(new TextDecoder().decode(out.stdout));
} catch {
  cpython = null;
}

// Hot get/put loop.
const hot = await FunctionIsolate.start(
  options("hot", new MemoryStateBackend(), "HotLoop", HOT_LOOP),
);
const hotRuns: { kv: number; dict: number }[] = [];
for (let i = 0; i < 3; i++) {
  const result = await hot.process([{
    ...inputs(1)[0],
    value: encoder.encode("200000"),
  }]);
  hotRuns.push(JSON.parse(new TextDecoder().decode(result.outputs[0].value)));
}
await hot.close();

const startBare = median(bare);
const startSnap = median(fromSnapshot);
console.log(
  `snapshot ${snapshot.key} (${(snapshot.bytes.length / 1e6).toFixed(1)} MB, ${
    snapshot.fromCache ? "read from cache" : "built"
  } in ${prepareMs.toFixed(0)} ms)`,
);
console.log(row(["measure", "value", "baseline", "ratio"]));
console.log(
  row([
    "start ms: isolate from snapshot / bare loadPyodide",
    startSnap,
    startBare,
    startBare / startSnap,
  ]),
);
const perBatch = (b: number) => throughput.get(b)!;
for (const batch of [1, 100, 1000]) {
  console.log(
    row([
      `MetricProcessor msg/s, batch ${batch} / batch 1`,
      perBatch(batch),
      perBatch(1),
      perBatch(batch) / perBatch(1),
    ]),
  );
}
if (cpython !== null) {
  console.log(
    row([
      "MetricProcessor msg/s, batch 1000 / CPython",
      perBatch(1000),
      cpython,
      perBatch(1000) / cpython,
    ]),
  );
}
const kv = median(hotRuns.map((r) => r.kv));
const dict = median(hotRuns.map((r) => r.dict));
console.log(
  row(["hot get+put ns/op: KvStore / dict (Pyodide)", kv, dict, kv / dict]),
);

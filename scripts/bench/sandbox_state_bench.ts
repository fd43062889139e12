/**
 * Benchmark of operator state as Python sees it inside the sandbox, each
 * figure beside the same loop on a plain Python dict in the same Pyodide:
 * - hot get / put: repeated keys (served by the isolate's write-back cache);
 * - cold get: keys not in the cache, each read from a DenoKvStateBackend on a
 *   temporary file (one worker round trip per key);
 * - scan: `scan_complex` over a prefix committed to the same backend, also
 *   beside the host listing the same pages itself (what the scan waits for).
 *
 *   deno run -A scripts/bench/sandbox_state_bench.ts [--quick] [--hot=1000000] [--cold=5000] [--scan=200000] [--page=500]
 *
 * Prints a table; when env FS_BENCH_JSON names a file (scripts/bench/run.ts),
 * also writes the figures and the target (hot get/put >= 1M ops/s)
 * there as JSON.
 * @module
 */
import { FunctionIsolate, PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { DenoKvStateBackend } from "../../runtime/state/mod.ts";
import type { InputRecord, StateMutation } from "../../runtime/core/mod.ts";

function arg(name: string, fallback: number): number {
  const found = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return Number(found?.split("=")[1] ?? fallback);
}

const quick = Deno.args.includes("--quick");
const HOT = arg("hot", quick ? 200_000 : 1_000_000);
const COLD = arg("cold", quick ? 1_000 : 5_000);
const SCAN = arg("scan", quick ? 20_000 : 200_000);
const PAGE = arg("page", 500);
const RUNS = 3;
const FN = "sandbox-bench";
const repo = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();

const BENCH_OP = `import json, time
from fs_api import FSProcessorDriver, ComplexKey

def timed(loop, *args):
    t = time.perf_counter()
    loop(*args)
    return time.perf_counter() - t

def get_loop(get, keys):
    for k in keys:
        get(k)

def put_loop(put, keys, value):
    for k in keys:
        put(k, value)

def dict_put_loop(d, keys, value):
    for k in keys:
        d[k] = value

def scan_loop(it):
    n = 0
    for k, v in it:
        n += 1
    return n

class Bench(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        cmd = json.loads(data)
        n = cmd["n"]
        out = {}
        if cmd["op"] == "hot":
            store = ctx.getOrCreateKVStore("hot")
            keys = [b"key-%d" % (i % 16) for i in range(n)]
            cks = [ComplexKey(b"g", b"k", b"n", k) for k in keys]
            plain, tuples = {}, {}
            put_loop(store.put_state, keys[:16], b"v")
            put_loop(store.put, cks[:16], b"v")
            dict_put_loop(plain, keys[:16], b"v")
            out["get"] = timed(get_loop, store.get_state, keys)
            out["dict_get"] = timed(get_loop, plain.get, keys)
            out["put"] = timed(put_loop, store.put_state, keys, b"w")
            out["dict_put"] = timed(dict_put_loop, plain, keys, b"w")
            out["cget"] = timed(get_loop, store.get, cks)
            tkeys = [(c.key_group, c.key, c.namespace, c.user_key) for c in cks]
            dict_put_loop(tuples, tkeys[:16], b"v")
            out["dict_cget"] = timed(get_loop, tuples.get, tkeys)
            out["cput"] = timed(put_loop, store.put, cks, b"w")
            out["dict_cput"] = timed(dict_put_loop, tuples, tkeys, b"w")
        elif cmd["op"] == "cold":
            store = ctx.getOrCreateKVStore("cold")
            keys = [b"cold-%d-%d" % (cmd["run"], i) for i in range(n)]
            plain = dict.fromkeys(keys, b"v" * 32)
            out["get"] = timed(get_loop, store.get_state, keys)
            out["dict_get"] = timed(get_loop, plain.get, keys)
            out["found"] = sum(store.get_state(k) is not None for k in keys)
        else:
            store = ctx.getOrCreateKVStore("scan")
            plain = {b"%08d" % i: b"v" * 32 for i in range(n)}
            t = time.perf_counter()
            out["count"] = scan_loop(store.scan_complex(b"g", b"k", b"n"))
            out["scan"] = time.perf_counter() - t
            out["dict_scan"] = timed(scan_loop, iter(plain.items()))
        ctx.emit(json.dumps(out).encode(), 0)
`;

function command(cmd: Record<string, unknown>): InputRecord[] {
  return [{
    sourceId: 0,
    topic: "bench",
    partition: 0,
    offset: 0n,
    key: null,
    value: encoder.encode(JSON.stringify(cmd)),
    headers: [],
    timestamp: 0,
  }];
}

/** Commits `count` entries of 32 bytes, 500 per commit (Deno KV's fast path). */
async function fill(
  backend: DenoKvStateBackend,
  count: number,
  mutation: (i: number) => StateMutation,
): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const mutations: StateMutation[] = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      mutations.push(mutation(j));
    }
    await backend.commit(FN, { mutations });
  }
}

const value = new Uint8Array(32).fill(118);
const coldKey = (run: number, i: number): StateMutation => ({
  op: "put",
  store: "cold",
  key: { kind: "simple", key: encoder.encode(`cold-${run}-${i}`) },
  value,
});
const scanEntry = (i: number): StateMutation => ({
  op: "put",
  store: "scan",
  key: {
    kind: "complex",
    keyGroup: encoder.encode("g"),
    key: encoder.encode("k"),
    namespace: encoder.encode("n"),
    userKey: encoder.encode(String(i).padStart(8, "0")),
  },
  value,
});

const scanPrefix = {
  keyGroup: encoder.encode("g"),
  key: encoder.encode("k"),
  namespace: encoder.encode("n"),
};

/** The scan's pages read by the host alone: entries/s. */
async function listOnHost(): Promise<number> {
  const t = performance.now();
  let count = 0;
  let after: Uint8Array | undefined;
  while (true) {
    const page = await backend.listComplex(FN, "scan", scanPrefix, {}, {
      limit: PAGE,
      after,
    });
    count += page.length;
    if (page.length < PAGE) break;
    after = page[page.length - 1].key;
  }
  return count / ((performance.now() - t) / 1000);
}

/** The cold keys of another run read by the host alone: gets/s. */
async function getOnHost(run: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < COLD; i++) {
    const mutation = coldKey((run + 1) % RUNS, i);
    if (mutation.op !== "put") continue;
    if (!await backend.get(FN, "cold", mutation.key)) {
      throw new Error(`missing cold key ${i}`);
    }
  }
  return COLD / ((performance.now() - t) / 1000);
}

function row(cells: (string | number)[]): string {
  return cells.map((c, i) =>
    (typeof c === "number" ? c.toFixed(c >= 100 ? 0 : 2) : c).padEnd(
      i === 0 ? 72 : 15,
    )
  ).join("");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const dir = await Deno.makeTempDir({ prefix: "fs_sandbox_bench_" });
const kv = await Deno.openKv(`${dir}/state.db`);
const backend = new DenoKvStateBackend(kv);
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});
const t0 = performance.now();
for (let run = 0; run < RUNS; run++) {
  await fill(backend, COLD, (i) => coldKey(run, i));
}
await fill(backend, SCAN, scanEntry);
const fillSeconds = (performance.now() - t0) / 1000;

const isolate = await FunctionIsolate.start({
  functionName: FN,
  className: "Bench",
  modules: [{ name: "bench_op", source: encoder.encode(BENCH_OP) }],
  initConfig: {},
  outputCount: 1,
  state: backend,
  snapshot,
  pageSize: PAGE,
});
type Times = Record<string, number>;
const results: Record<string, Times[]> = { hot: [], cold: [], scan: [] };
const hostScan: number[] = [];
const hostGet: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    hostScan.push(await listOnHost());
    hostGet.push(await getOnHost(run));
    for (const [op, n] of [["hot", HOT], ["cold", COLD], ["scan", SCAN]]) {
      const result = await isolate.process(command({ op, n, run }));
      await backend.commit(FN, { mutations: result.mutations });
      const text = new TextDecoder().decode(result.outputs[0].value);
      results[op as string].push(JSON.parse(text));
    }
  }
} finally {
  await isolate.close();
  kv.close();
  await Deno.remove(dir, { recursive: true });
}

for (const cold of results.cold) {
  if (cold.found !== COLD) throw new Error(`cold get found ${cold.found}`);
}
for (const scan of results.scan) {
  if (scan.count !== SCAN) throw new Error(`scan saw ${scan.count}`);
}
const rate = (op: string, field: string, n: number) =>
  median(results[op].map((r) => n / r[field]));

const cold = rate("cold", "get", COLD);
const scan = rate("scan", "scan", SCAN);
interface Line {
  id: string;
  label: string;
  unit: string;
  value: number;
  baselineLabel: string;
  baseline: number;
}
const line = (
  id: string,
  label: string,
  measured: [number, string, number],
): Line => {
  const [value, baselineLabel, baseline] = measured;
  const unit = id.startsWith("scan") ? "entries/s" : "ops/s";
  return { id, label, unit, value, baselineLabel, baseline };
};
const table: Line[] = [
  line("hot_get", "hot get_state (16 keys)", [
    rate("hot", "get", HOT),
    "dict.get",
    rate("hot", "dict_get", HOT),
  ]),
  line("hot_put", "hot put_state (16 keys)", [
    rate("hot", "put", HOT),
    "dict[k] = v",
    rate("hot", "dict_put", HOT),
  ]),
  line("hot_cget", "hot get (ComplexKey, 16 keys)", [
    rate("hot", "cget", HOT),
    "dict of tuples .get",
    rate("hot", "dict_cget", HOT),
  ]),
  line("hot_cput", "hot put (ComplexKey, 16 keys)", [
    rate("hot", "cput", HOT),
    "dict of tuples [k] = v",
    rate("hot", "dict_cput", HOT),
  ]),
  line("cold_get", `cold get_state from Deno KV (${COLD} keys)`, [
    cold,
    "dict.get",
    rate("cold", "dict_get", COLD),
  ]),
  line("cold_get_host", "cold get_state from Deno KV", [
    cold,
    "host get alone (TS)",
    median(hostGet),
  ]),
  line("scan", `scan_complex over Deno KV (${SCAN} entries)`, [
    scan,
    "dict.items()",
    rate("scan", "dict_scan", SCAN),
  ]),
  line("scan_host", `scan_complex over Deno KV (page ${PAGE})`, [
    scan,
    "host list alone (TS)",
    median(hostScan),
  ]),
];
console.log(
  `State from Python inside the sandbox (median of ${RUNS} runs; ` +
    `${COLD * RUNS + SCAN} entries committed to Deno KV in ${
      fillSeconds.toFixed(1)
    } s)`,
);
console.log(row(["measure", "value", "baseline", "baseline/value"]));
for (const l of table) {
  console.log(
    row([
      `${l.label} ${l.unit} / ${l.baselineLabel}`,
      l.value,
      l.baseline,
      l.baseline / l.value,
    ]),
  );
}

const HOT_TARGET = 1_000_000;
const slowest = Math.min(...table.slice(0, 4).map((l) => l.value));
const jsonPath = Deno.env.get("FS_BENCH_JSON");
if (jsonPath) {
  // The shape of scripts/bench/_result.ts (BenchResult).
  const result = {
    bench: "sandbox_state_bench",
    quick,
    figures: table.map((l) => ({
      id: `sandbox_state.${l.id}`,
      label: l.label,
      value: l.value,
      unit: l.unit,
      baseline: { label: l.baselineLabel, value: l.baseline },
      ratio: l.value / l.baseline,
    })),
    targets: [{
      id: "sandbox_state.hot",
      target: `hot get/put from Python >= ${HOT_TARGET} ops/s`,
      value: slowest,
      limit: HOT_TARGET,
      unit: "ops/s",
      reached: slowest >= HOT_TARGET,
      gap: slowest >= HOT_TARGET
        ? `reached (slowest of get_state, put_state, get, put: ${
          Math.round(slowest)
        } ops/s)`
        : `missed: slowest is ${Math.round(slowest)} ops/s`,
    }],
    notes: [
      "Each figure is measured from Python inside the sandbox, beside the same loop on a plain dict in the same Pyodide.",
      "Cold gets cross the worker boundary once per key; scans read one page per round trip.",
    ],
  };
  await Deno.writeTextFile(jsonPath, JSON.stringify(result, null, 2) + "\n");
}

/**
 * The engine's data path without Kafka, in this process, each figure beside
 * its baseline measured in the same run:
 * - memory: RSS of this process with 1, 10 and 50 idle isolates, minus RSS
 *   with none, per isolate;
 * - start: `FunctionIsolate.start` p50/p95 (from the shared snapshot);
 * - throughput: the seed's MetricProcessor fed batches of 1000 records from
 *   memory, outputs collected, every batch committed to a MemoryStateBackend
 *   with its positions (what FunctionRunner does, minus Kafka), against the
 *   same class on native CPython with a dict-backed context on the same
 *   messages; plus the parts: the bare interpreter (same loop inside
 *   Pyodide) and the bridge alone (a no-op operator).
 *
 *   deno run -A scripts/bench/pipeline_bench.ts [--quick]
 * @module
 */
import { FunctionIsolate, PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { MemoryStateBackend } from "../../runtime/state/mod.ts";
import type { InputRecord } from "../../runtime/core/mod.ts";
import { runCpythonBaseline } from "./_cpython.ts";
import {
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
  parseMetricOutput,
} from "./_operator.ts";
import { cpuSeconds, rssBytes } from "./_proc.ts";
import { NOOP_CLASS, PROBE_CLASS, probeModule } from "./_pyodide_probes.ts";
import { atLeast, BenchReport, isQuick } from "./_result.ts";
import { median, mib, sleep, summarize } from "./_stats.ts";

const quick = isQuick();
const N = quick ? 10_000 : 50_000;
const REPS = 3;
const BATCH = 1000;
const STARTS = quick ? 5 : 10;
const MEMORY_STEPS = quick ? [1, 10] : [1, 10, 50];
const repo = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();
const report = new BenchReport("pipeline_bench", { quick });

const metricSource = await metricProcessorSource();
const moduleSource = encoder.encode(probeModule(metricSource, REPS));
const messages = metricMessages(N);
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});

function start(
  name: string,
  className: string,
  state = new MemoryStateBackend(),
) {
  return FunctionIsolate.start({
    functionName: name,
    className,
    modules: [{ name: "op", source: moduleSource }],
    initConfig: { metric_name: "user_click" },
    outputCount: 1,
    state,
    snapshot,
  });
}

function records(values: Uint8Array[], firstOffset: number): InputRecord[] {
  return values.map((value, i) => ({
    sourceId: 0,
    topic: "in",
    partition: 0,
    offset: BigInt(firstOffset + i),
    key: null,
    value,
    headers: [],
    timestamp: 0,
  }));
}

async function settledRss(): Promise<number> {
  await sleep(1500);
  return rssBytes("self");
}

// --- Memory: what an empty Web Worker costs, the floor of a worker per function.
let bareWorkerMiB = 0;
{
  const url = URL.createObjectURL(
    new Blob(["self.onmessage = () => self.postMessage(0);"], {
      type: "application/javascript",
    }),
  );
  const base = await settledRss();
  const workers: Worker[] = [];
  for (let i = 0; i < 10; i++) {
    const worker = new Worker(url, { type: "module" });
    await new Promise((resolve) => {
      worker.onmessage = resolve;
      worker.postMessage(0);
    });
    workers.push(worker);
  }
  bareWorkerMiB = mib((await settledRss() - base) / workers.length);
  for (const worker of workers) worker.terminate();
  URL.revokeObjectURL(url);
}

// --- Memory: idle isolates in this process (each has processed one record).
{
  const base = await settledRss();
  const isolates: FunctionIsolate[] = [];
  let previous = { n: 0, rss: base };
  for (const n of MEMORY_STEPS) {
    while (isolates.length < n) {
      const isolate = await start(`mem-${isolates.length}`, METRIC_CLASS);
      await isolate.process(records(messages.values.slice(0, 1), 0));
      isolates.push(isolate);
    }
    const cpu0 = cpuSeconds("self");
    const rss = await settledRss();
    const idleCpu = (cpuSeconds("self") - cpu0) / 1.5;
    const heap = isolates.reduce((s, i) => s + i.heapBytes, 0) / n;
    report.figure({
      id: `isolate.rss_per_idle.${n}`,
      label: `RSS per idle isolate, ${n} isolate(s)`,
      note: `Wasm heap ${mib(heap).toFixed(1)} MiB each, ${
        mib((rss - previous.rss) / (n - previous.n)).toFixed(1)
      } MiB each since ${previous.n}, idle CPU ${
        (idleCpu * 100).toFixed(0)
      }%, process RSS with 0 isolates ${mib(base).toFixed(0)} MiB`,
      value: mib((rss - base) / n),
      unit: "MiB",
      baseline: {
        label: "an empty Deno Web Worker",
        value: bareWorkerMiB,
      },
    });
    previous = { n, rss };
  }
  await Promise.all(isolates.map((i) => i.close()));
}

// --- Start: FunctionIsolate.start until init returned.
{
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t = performance.now();
    const isolate = await start(`start-${i}`, METRIC_CLASS);
    times.push(performance.now() - t);
    await isolate.close();
  }
  const s = summarize(times);
  report.figure({
    id: "isolate.start_p50",
    label: `FunctionIsolate.start p50 over ${STARTS}`,
    value: s.p50,
    unit: "ms",
    note: "worker spawn, snapshot restore, import, init(); no Kafka",
  });
  report.figure({
    id: "isolate.start_p95",
    label: `FunctionIsolate.start p95 over ${STARTS}`,
    value: s.p95,
    unit: "ms",
  });
}

// --- Throughput: batches from memory, outputs collected, commit per batch.
// Baseline passes alternate with the isolate's, so both see the same load.
const all = records(messages.values, 0);
const dictRates: number[] = [];
const testContextRates: number[] = [];
let python = "";
async function baselinePass(): Promise<void> {
  const one = await runCpythonBaseline(metricSource, messages.values, {
    reps: 1,
    expectedTotal: messages.total,
  });
  python = one.python;
  dictRates.push(one.dictMsgPerS);
  testContextRates.push(one.testContextMsgPerS);
}

async function runPasses(
  batch: number,
  passes: number,
  beforePass: () => Promise<void> = () => Promise.resolve(),
) {
  const state = new MemoryStateBackend();
  const fn = `metric-${batch}`;
  const isolate = await start(fn, METRIC_CLASS, state);
  const rates: number[] = [];
  let processMs = 0, commitMs = 0, batches = 0, last = 0, sunk = 0;
  for (let pass = 0; pass < passes; pass++) {
    await beforePass();
    const t0 = performance.now();
    for (let i = 0; i < all.length; i += batch) {
      const slice = all.slice(i, i + batch);
      const t1 = performance.now();
      const result = await isolate.process(slice);
      const t2 = performance.now();
      await state.commit(fn, {
        mutations: result.mutations,
        positions: [{
          topic: "in",
          partition: 0,
          nextOffset: slice[slice.length - 1].offset + 1n,
        }],
      });
      commitMs += performance.now() - t2;
      processMs += t2 - t1;
      batches++;
      sunk += result.outputs.length;
      last = parseMetricOutput(result.outputs[result.outputs.length - 1].value)
        .total;
    }
    rates.push(all.length / ((performance.now() - t0) / 1000));
  }
  await isolate.close();
  if (last !== passes * messages.total || sunk !== passes * all.length) {
    throw new Error(
      `Cannot trust the in-memory run as its outputs are wrong: current last total is ${last} of ${sunk} outputs, expected ${
        passes * messages.total
      } of ${passes * all.length}`,
    );
  }
  return {
    rate: median(rates),
    processMs: processMs / batches,
    commitMs: commitMs / batches,
  };
}

const main = await runPasses(BATCH, REPS, baselinePass);
const small = await runPasses(100, 1);
const cpython = {
  python,
  dictMsgPerS: median(dictRates),
  testContextMsgPerS: median(testContextRates),
};
report.figure({
  id: "inmemory.msg_per_s",
  label:
    `MetricProcessor in-memory source to sink, batch ${BATCH}, commit per batch`,
  value: main.rate,
  unit: "msg/s",
  baseline: {
    label: `${cpython.python}, dict context`,
    value: cpython.dictMsgPerS,
  },
});
report.figure({
  id: "inmemory.msg_per_s_batch100",
  label: "same, batch 100",
  value: small.rate,
  unit: "msg/s",
  baseline: {
    label: `${cpython.python}, dict context`,
    value: cpython.dictMsgPerS,
  },
});
report.figure({
  id: "inmemory.testcontext",
  label: "in-memory batch 1000 vs CPython with fs_api.testing.TestContext",
  value: main.rate,
  unit: "msg/s",
  baseline: {
    label: `${cpython.python}, TestContext`,
    value: cpython.testContextMsgPerS,
  },
});

// --- Where the time goes: the interpreter alone and the bridge alone.
const joined = new Uint8Array(
  messages.values.reduce((n, m) => n + m.length + 1, -1),
);
messages.values.reduce((at, m, i) => {
  if (i > 0) joined[at++] = 10;
  joined.set(m, at);
  return at + m.length;
}, 0);
{
  const probe = await start("probe", PROBE_CLASS);
  const result = await probe.process(records([joined], 0));
  await probe.close();
  const parsed = JSON.parse(new TextDecoder().decode(result.outputs[0].value));
  if (parsed.total !== REPS * messages.total) {
    throw new Error(
      `Cannot trust the interpreter probe as its total is wrong: current value is ${parsed.total}`,
    );
  }
  report.figure({
    id: "inmemory.pyodide_dict_msg_per_s",
    label: "parts: same loop inside Pyodide on the dict context (no runtime)",
    value: median(parsed.rates),
    unit: "msg/s",
    baseline: {
      label: `${cpython.python}, dict context`,
      value: cpython.dictMsgPerS,
    },
  });
  const noop = await start("noop", NOOP_CLASS);
  const t = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    await noop.process(all.slice(i, i + BATCH));
  }
  const noopRate = all.length / ((performance.now() - t) / 1000);
  await noop.close();
  const perBatch = (ms: number) => (ms / BATCH) * 1000;
  report.figure({
    id: "inmemory.noop_msg_per_s",
    label:
      `parts: no-op operator, batch ${BATCH} (bridge only: pack, transfer, loop, unpack)`,
    value: noopRate,
    unit: "msg/s",
  });
  report.note(
    `Per batch of ${BATCH}: isolate.process ${main.processMs.toFixed(2)} ms, ` +
      `MemoryStateBackend.commit ${main.commitMs.toFixed(2)} ms; per record ` +
      `${
        perBatch(main.processMs).toFixed(2)
      } us in process(), of which the no-op bridge is ` +
      `${(1e6 / noopRate).toFixed(2)} us, the bare Pyodide loop ${
        (1e6 / median(parsed.rates)).toFixed(2)
      } us; native CPython needs ${(1e6 / cpython.dictMsgPerS).toFixed(2)} us.`,
  );
}

report.target(
  atLeast(
    "throughput.inmemory",
    "in-memory throughput >= 0.8x native CPython",
    {
      value: main.rate / cpython.dictMsgPerS,
      limit: 0.8,
      unit: "x",
    },
  ),
);
report.note(
  `Messages: ${N} seed-format records {"value": v}, v = 1..5; ${REPS} passes, median. ` +
    "Outputs and totals are checked.",
);
await report.finish();

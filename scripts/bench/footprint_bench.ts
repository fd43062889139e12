/**
 * What one function's isolate costs, in this process (no server, no Kafka):
 * - start: `FunctionIsolate.start` p50/p95 (worker spawn, snapshot restore,
 *   import, init), the isolate's share of a cold start; and the same with a
 *   warm worker (`PyodideSnapshot.keepWarm(1)`: spawned and loaded ahead);
 * - memory: RSS of this process with 1, 10 and 50 idle isolates (each has
 *   processed one record) minus its RSS with none, per isolate, beside an
 *   empty Deno Web Worker (the floor of any worker-per-function design).
 *
 *   deno run -A scripts/bench/footprint_bench.ts [--quick]
 * @module
 */
import { FunctionIsolate, PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { MemoryStateBackend } from "../../runtime/state/mod.ts";
import {
  inputRecords,
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
} from "./_operator.ts";
import { cpuSeconds, rssBytes } from "./_proc.ts";
import { BenchReport, isQuick } from "./_result.ts";
import { mib, sleep, summarize } from "./_stats.ts";

const quick = isQuick();
const STARTS = quick ? 5 : 10;
const MEMORY_STEPS = quick ? [1, 10] : [1, 10, 50];
const repo = new URL("../../", import.meta.url).pathname;
const report = new BenchReport("footprint_bench", { quick });
const moduleSource = new TextEncoder().encode(await metricProcessorSource());
const message = metricMessages(1).values[0];
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});

function start(name: string) {
  return FunctionIsolate.start({
    functionName: name,
    className: METRIC_CLASS,
    modules: [{ name: "op", source: moduleSource }],
    initConfig: { metric_name: "user_click" },
    outputCount: 1,
    state: new MemoryStateBackend(),
    snapshot,
  });
}

async function settledRss(): Promise<number> {
  await sleep(1500);
  return rssBytes("self");
}

/**
 * Proportional set size of this process in bytes: RSS counts the deno
 * executable again for every worker that maps it (about 2 MiB each, shared).
 */
function pssBytes(): number {
  const rollup = Deno.readTextFileSync("/proc/self/smaps_rollup");
  const match = rollup.match(/^Pss:\s+(\d+)\s+kB$/m);
  return match ? Number(match[1]) * 1024 : NaN;
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
  const basePss = pssBytes();
  const isolates: FunctionIsolate[] = [];
  let previous = { n: 0, rss: base };
  for (const n of MEMORY_STEPS) {
    while (isolates.length < n) {
      const isolate = await start(`mem-${isolates.length}`);
      await isolate.process(inputRecords([message]));
      isolates.push(isolate);
    }
    const cpu0 = cpuSeconds("self");
    const rss = await settledRss();
    const pss = pssBytes();
    const idleCpu = (cpuSeconds("self") - cpu0) / 1.5;
    const heap = isolates.reduce((s, i) => s + i.heapBytes, 0) / n;
    report.figure({
      id: `isolate.rss_per_idle.${n}`,
      label: `RSS per idle isolate, ${n} isolate(s)`,
      note: `Wasm memory ${
        mib(heap).toFixed(1)
      } MiB each (size, not resident), PSS ${
        mib((pss - basePss) / n).toFixed(1)
      } MiB each, ${
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
    const isolate = await start(`start-${i}`);
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

// --- Start with a warm worker (PyodideSnapshot.keepWarm(1)): Pyodide is
// already loaded; each start waits until the replacement has loaded.
{
  snapshot.keepWarm(1);
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    await sleep(1000);
    const t = performance.now();
    const isolate = await start(`warm-${i}`);
    times.push(performance.now() - t);
    await isolate.close();
  }
  snapshot.keepWarm(0);
  const s = summarize(times);
  report.figure({
    id: "isolate.warm_start_p50",
    label: `FunctionIsolate.start p50 over ${STARTS}, with a warm worker`,
    value: s.p50,
    unit: "ms",
    note:
      "PyodideSnapshot.keepWarm(1): worker spawned and Pyodide loaded ahead; import, init()",
  });
  report.figure({
    id: "isolate.warm_start_p95",
    label: `FunctionIsolate.start p95 over ${STARTS}, with a warm worker`,
    value: s.p95,
    unit: "ms",
  });
}

await report.finish();

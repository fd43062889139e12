/**
 * What process isolation (the server's default) costs beside worker
 * isolation, in this process (no server, no Kafka), for the seed's
 * MetricProcessor with a 256 MiB limit:
 * - start: `FunctionIsolate.start` p50/p95 (the isolate's share of a cold
 *   start; process isolation adds the child process), and p50 from a warm
 *   isolate (`PyodideSnapshot.keepWarm(1)`, as the server keeps one);
 * - memory: RSS and PSS (shared pages, such as the deno executable's,
 *   split among the processes sharing them) of this process plus its
 *   isolate processes with N idle isolates (each has processed one record),
 *   minus that with none, per isolate;
 * - calls: a batch-1 round trip (p50) and records/s at batch 1000.
 *
 *   deno run -A scripts/bench/isolation_bench.ts [--quick]
 * @module
 */
import {
  FunctionIsolate,
  type IsolateOptions,
  PyodideSnapshot,
} from "../../runtime/isolate/mod.ts";
import { isolateProcesses } from "../../runtime/isolate/_test_util.ts";
import { MemoryStateBackend } from "../../runtime/state/mod.ts";
import {
  inputRecords,
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
} from "./_operator.ts";
import { pssBytes, rssBytes } from "./_proc.ts";
import { BenchReport, isQuick } from "./_result.ts";
import { mib, sleep, summarize } from "./_stats.ts";

const quick = isQuick();
const report = new BenchReport("isolation_bench", { quick });
const LIMIT = 256 * 1024 * 1024;
const STARTS = quick ? 4 : 10;
const IDLE = quick ? 4 : 10;
const repo = new URL("../../", import.meta.url).pathname;
const moduleSource = new TextEncoder().encode(await metricProcessorSource());
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});
const records = (n: number) => inputRecords(metricMessages(n).values);

function start(name: string, isolation: IsolateOptions["isolation"]) {
  return FunctionIsolate.start({
    functionName: name,
    className: METRIC_CLASS,
    modules: [{ name: "op", source: moduleSource }],
    initConfig: { metric_name: "user_click" },
    outputCount: 1,
    state: new MemoryStateBackend(),
    snapshot,
    maxMemoryBytes: LIMIT,
    isolation,
  });
}

/** RSS and PSS of this process plus every isolate process it started. */
async function memory(): Promise<{ rss: number; pss: number }> {
  await sleep(2500); // past each relay's collection, 2 s after its start
  const total = { rss: rssBytes("self"), pss: pssBytes("self") };
  for (const pid of isolateProcesses()) {
    try {
      total.rss += rssBytes(pid);
      total.pss += pssBytes(pid);
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/** What one isolation mode measured. */
interface ModeResult {
  start: number;
  startP95: number;
  warmStart: number;
  rss: number;
  pss: number;
  tripUs: number;
  perSecond: number;
}

async function measure(
  isolation: "worker" | "process",
): Promise<ModeResult> {
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    const isolate = await start(`start-${i}`, isolation);
    starts.push(performance.now() - t0);
    await isolate.close();
  }
  // From a warm isolate (the server keeps one): spawned and loaded ahead.
  const warmStarts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    snapshot.keepWarm(1, { isolation, maxMemoryBytes: LIMIT });
    await sleep(1500);
    const t0 = performance.now();
    const isolate = await start(`warm-${i}`, isolation);
    warmStarts.push(performance.now() - t0);
    snapshot.keepWarm(0);
    await isolate.close();
  }
  const base = await memory();
  const idle: FunctionIsolate[] = [];
  for (let i = 0; i < IDLE; i++) {
    const isolate = await start(`idle-${i}`, isolation);
    await isolate.process(records(1));
    idle.push(isolate);
  }
  const loaded = await memory();
  const probe = idle[0];
  const trips: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await probe.process(records(1));
    trips.push(performance.now() - t0);
  }
  const batch = records(1000);
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) await probe.process(batch);
  const perSecond = 20_000 / ((performance.now() - t0) / 1000);
  await Promise.all(idle.map((isolate) => isolate.close()));
  const s = summarize(starts);
  return {
    start: s.p50,
    startP95: s.p95,
    warmStart: summarize(warmStarts).p50,
    rss: (loaded.rss - base.rss) / IDLE,
    pss: (loaded.pss - base.pss) / IDLE,
    tripUs: summarize(trips).p50 * 1000,
    perSecond,
  };
}

const worker = await measure("worker");
await sleep(500);
const proc = await measure("process");
const versus = (label: string, value: number) => ({
  label: `${label}, worker isolation`,
  value,
});
report.figure({
  id: "isolation.process.start_p50",
  label: "FunctionIsolate.start p50, process isolation (fresh process)",
  value: proc.start,
  unit: "ms",
  baseline: versus("same", worker.start),
  note: `p95 ${proc.startP95.toFixed(0)} ms (worker ${
    worker.startP95.toFixed(0)
  } ms)`,
});
report.figure({
  id: "isolation.process.warm_start_p50",
  label: "FunctionIsolate.start p50 from a warm isolate, process isolation",
  value: proc.warmStart,
  unit: "ms",
  baseline: versus("same", worker.warmStart),
});
report.figure({
  id: "isolation.process.pss_per_idle",
  label:
    `memory (PSS) per idle isolate, process isolation (${IDLE} isolates, this process plus its isolate processes)`,
  value: mib(proc.pss),
  unit: "MiB",
  baseline: versus("same", mib(worker.pss)),
  note: `RSS ${mib(proc.rss).toFixed(1)} MiB (worker ${
    mib(worker.rss).toFixed(1)
  } MiB): RSS counts shared pages in every process`,
});
report.figure({
  id: "isolation.process.round_trip_p50",
  label: "batch-1 round trip p50, process isolation",
  value: proc.tripUs,
  unit: "us",
  baseline: versus("same", worker.tripUs),
});
report.figure({
  id: "isolation.process.batch_1000",
  label: "records/s at batch 1000, process isolation",
  value: proc.perSecond,
  unit: "records/s",
  baseline: versus("same", worker.perSecond),
});
report.note(
  "The seed's MetricProcessor, a 256 MiB limit, no server and no Kafka; every process figure sits beside the same " +
    "measure with worker isolation from this run.",
);
await report.finish();

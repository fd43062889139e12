/**
 * What `--isolation process` costs beside `--isolation worker`, in this
 * process (no server, no Kafka), for the seed's MetricProcessor with a
 * 256 MiB limit:
 * - start: `FunctionIsolate.start` p50/p95 (the isolate's share of a cold
 *   start; process isolation adds the child process);
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
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
} from "./_operator.ts";
import { rssBytes } from "./_proc.ts";
import { isQuick } from "./_result.ts";
import { mib, sleep, summarize } from "./_stats.ts";

const quick = isQuick();
const STARTS = quick ? 4 : 10;
const IDLE = quick ? 4 : 10;
const repo = new URL("../../", import.meta.url).pathname;
const moduleSource = new TextEncoder().encode(await metricProcessorSource());
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});
const records = (n: number) =>
  metricMessages(n).values.map((value, i) => ({
    sourceId: 0,
    topic: "in",
    partition: 0,
    offset: BigInt(i),
    key: null,
    value,
    headers: [],
    timestamp: 0,
  }));

function start(name: string, isolation: IsolateOptions["isolation"]) {
  return FunctionIsolate.start({
    functionName: name,
    className: METRIC_CLASS,
    modules: [{ name: "op", source: moduleSource }],
    initConfig: { metric_name: "user_click" },
    outputCount: 1,
    state: new MemoryStateBackend(),
    snapshot,
    maxMemoryBytes: 256 * 1024 * 1024,
    isolation,
  });
}

/** Proportional set size of a process (shared pages split among sharers). */
function pssBytes(pid: number | "self"): number {
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  return Number(rollup.match(/^Pss:\s+(\d+) kB$/m)?.[1] ?? 0) * 1024;
}

/** RSS and PSS of this process plus every isolate process it started. */
async function memory(): Promise<{ rss: number; pss: number }> {
  await sleep(1500);
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

for (const isolation of ["worker", "process"] as const) {
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    const isolate = await start(`start-${i}`, isolation);
    starts.push(performance.now() - t0);
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
  const rss = (loaded.rss - base.rss) / IDLE;
  const pss = (loaded.pss - base.pss) / IDLE;
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
  const t = summarize(trips);
  console.log(
    `${isolation}: start p50 ${s.p50.toFixed(0)} ms, p95 ${
      s.p95.toFixed(0)
    } ms | per idle isolate: RSS ${mib(rss).toFixed(1)} MiB, PSS ${
      mib(pss).toFixed(1)
    } MiB (${IDLE} isolates) | batch-1 round trip p50 ${
      (t.p50 * 1000).toFixed(0)
    } us | batch 1000: ${Math.round(perSecond)} records/s`,
  );
  await sleep(500);
}

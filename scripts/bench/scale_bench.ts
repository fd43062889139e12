/**
 * Many functions in one real server (`main.ts`, real broker):
 * - memory per idle function with 1, 10 and 50 functions: the proportional
 *   set size (PSS) of the server and its isolate processes minus that with
 *   no function, divided by N, with the default process isolation and
 *   again with `--isolation worker`;
 * - how many run at once: at 10, 25, 50 and 100 functions, every function
 *   gets the same burst of records; total throughput, RSS, idle CPU, and
 *   whether every function stayed RUNNING with the right totals.
 *
 *   deno run -A scripts/bench/scale_bench.ts [--quick]
 * @module
 */
import {
  BenchProducer,
  benchTopic,
  createTopics,
  deleteTopics,
  OutputWatcher,
} from "./_kafka_kit.ts";
import { atLeast, atMost, BenchReport, isQuick } from "./_result.ts";
import {
  type BenchServer,
  createMetricFunction,
  notRunning,
  startBenchServer,
} from "./_server_kit.ts";
import { memAvailableBytes } from "./_proc.ts";
import { fmt, mib, nowMs, sleep } from "./_stats.ts";
import { PROCESS_REFILL_DELAY_MS } from "../../runtime/isolate/_warm_workers.ts";

const quick = isQuick();
const MEMORY_STEPS = quick ? [1, 10] : [1, 10, 50];
const SCALE_STEPS = quick ? [10, 25] : [10, 25, 50, 100];
const STEPS = [...new Set([...MEMORY_STEPS, ...SCALE_STEPS])].sort((a, b) =>
  a - b
);
const MAX = STEPS[STEPS.length - 1];
const PER_FUNCTION = quick ? 600 : 1500; // below the source buffer (2000)
const CREATE_CONCURRENCY = 4;
const SETTLE_MS = 3000;
const report = new BenchReport("scale_bench", { quick });
const encoder = new TextEncoder();
const message = encoder.encode('{"value": 1}');

const names = (n: number) => Array.from({ length: n }, (_, i) => `scale-${i}`);

/**
 * Waits (up to 30 s) until the server and its isolate processes use under
 * 30% of a core over a second, plus 2% per function (an idle function
 * polls Kafka: about 1.5-2% each, measured): the warm isolate the server
 * keeps is refilled a few seconds after a create and then loads and warms
 * up, which would otherwise land in the memory measured.
 */
async function quiet(server: BenchServer, functions: number): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 1000) {
    const cpu0 = server.cpu();
    await sleep(1000);
    if (server.cpu() - cpu0 < 0.3 + 0.02 * functions) return;
  }
}

/** Idle memory (server and isolate processes) and CPU share over SETTLE_MS. */
async function idle(
  server: BenchServer,
  functions: number,
): Promise<{ pss: number; rss: number; cpu: number }> {
  await sleep(PROCESS_REFILL_DELAY_MS);
  await quiet(server, functions);
  const cpu0 = server.cpu();
  await sleep(SETTLE_MS);
  return {
    ...server.memory(),
    cpu: (server.cpu() - cpu0) / (SETTLE_MS / 1000),
  };
}

/** Reports the memory per idle function at `n` functions. */
function memoryFigure(
  server: BenchServer,
  n: number,
  at: { base: number; quiet: { pss: number; cpu: number }; createMs: number },
): void {
  report.figure({
    id: `server.pss_per_idle.${server.isolation}.${n}`,
    label:
      `memory (PSS) per idle function, ${server.isolation} isolation, ${n} function(s)`,
    value: mib((at.quiet.pss - at.base) / n),
    unit: "MiB",
    baseline: {
      label: "server PSS with 0 functions (and its warm isolate)",
      value: mib(at.base),
    },
    note: `server and isolate processes ${
      fmt(mib(at.quiet.pss))
    } MiB, idle CPU ${(at.quiet.cpu * 100).toFixed(0)}%, ${
      at.createMs.toFixed(0)
    } ms per create`,
  });
}

/** Memory steps only, on a server with worker isolation. */
async function workerMemory(): Promise<void> {
  const server = await startBenchServer({ isolation: "worker" });
  const input = benchTopic("scale-worker-in");
  const output = benchTopic("scale-worker-out");
  try {
    const steps = MEMORY_STEPS;
    await createTopics([
      { topic: input, partitions: steps[steps.length - 1] },
      { topic: output, partitions: 1 },
    ]);
    const base = (await idle(server, 0)).pss;
    let running = 0;
    for (const n of steps) {
      const t0 = nowMs();
      await rampTo(server, running, n, { input, output });
      const createMs = (nowMs() - t0) / (n - running);
      running = n;
      memoryFigure(server, n, { base, quiet: await idle(server, n), createMs });
    }
  } finally {
    await server.stop();
    await deleteTopics([input, output]);
  }
}

async function rampTo(
  server: BenchServer,
  from: number,
  to: number,
  io: { input: string; output: string },
): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await createMetricFunction(server, {
        name: `scale-${i}`,
        inputTopic: io.input,
        partition: i,
        outputTopic: io.output,
      });
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
}

interface StepResult {
  n: number;
  msgPerS: number;
  healthy: boolean;
}

const server = await startBenchServer();
const input = benchTopic("scale-in");
const output = benchTopic("scale-out");
const steps: StepResult[] = [];
let base = 0;
try {
  await createTopics([{ topic: input, partitions: MAX }, {
    topic: output,
    partitions: 1,
  }]);
  const watcher = await OutputWatcher.open(output);
  const producer = await BenchProducer.open();
  const zero = await idle(server, 0);
  base = zero.pss;
  report.figure({
    id: "server.pss_0",
    label:
      "server PSS with 0 functions (process isolation, with its warm isolate process)",
    value: mib(base),
    unit: "MiB",
    note: `idle CPU ${(zero.cpu * 100).toFixed(0)}%`,
  });
  let running = 0;
  const sentPer = new Map<string, number>();
  for (const n of STEPS) {
    // Leave the machine usable: stop when the next step would not fit.
    const perFunction = running > 0
      ? (server.memory().pss - base) / running
      : 150 * 2 ** 20;
    const need = (n - running) * perFunction * 1.3;
    if (need > memAvailableBytes()) {
      report.note(
        `Stopped before ${n} functions: they would need about ${
          fmt(mib(need))
        } MiB, ` +
          `${fmt(mib(memAvailableBytes()))} MiB are available.`,
      );
      break;
    }
    const t0 = nowMs();
    await rampTo(server, running, n, { input, output });
    const createMs = (nowMs() - t0) / (n - running);
    running = n;
    const quiet = await idle(server, n);
    if (MEMORY_STEPS.includes(n)) {
      memoryFigure(server, n, { base, quiet, createMs });
    }
    if (!SCALE_STEPS.includes(n)) continue;
    // The same burst into every function's partition.
    const before = watcher.arrivals.length;
    const start = nowMs();
    const fns = names(n);
    for (let i = 0; i < n; i += 10) {
      await producer.sendMany(
        input,
        fns.slice(i, i + 10).map((_, j) => ({
          partition: i + j,
          values: Array.from({ length: PER_FUNCTION }, () => message),
        })),
      );
    }
    for (const name of fns) {
      sentPer.set(name, (sentPer.get(name) ?? 0) + PER_FUNCTION);
    }
    const complete = () =>
      fns.every((name) =>
        (watcher.latest.get(name) ?? 0) >= sentPer.get(name)!
      );
    const finished = await watcher.waitUntil(complete, 240_000);
    const wall = (nowMs() - start) / 1000;
    const outputs = watcher.arrivals.length - before;
    const failed = await notRunning(server);
    const wrong = fns.filter((name) =>
      watcher.latest.get(name) !== sentPer.get(name)
    );
    const healthy = finished && failed.length === 0 && wrong.length === 0;
    const msgPerS = outputs / wall;
    const pss = server.memory().pss;
    steps.push({ n, msgPerS, healthy });
    report.figure({
      id: `scale.${n}.msg_per_s`,
      label:
        `${n} functions at once: total throughput (${PER_FUNCTION} records each)`,
      value: msgPerS,
      unit: "msg/s",
      note: `${fmt(msgPerS / n)} msg/s per function; PSS ${
        fmt(mib(pss))
      } MiB; idle CPU before ${(quiet.cpu * 100).toFixed(0)}%; ${
        healthy
          ? "all RUNNING, totals right"
          : `UNHEALTHY: ${failed.length} not running, ${wrong.length} wrong totals${
            finished ? "" : ", timed out"
          }`
      }`,
    });
    if (!healthy) break;
  }
  await producer.close();
  await watcher.close();
} finally {
  const code = await server.stop();
  if (code !== 0) {
    console.error(`server exited with ${code}:\n${server.output()}`);
  }
  await deleteTopics([input, output]);
}

// Running at once: the largest step where every function stayed RUNNING
// and ended with the right total. Degradation: the largest step that also
// keeps at least 80% of the best total throughput seen up to it.
const healthyMax = steps.filter((s) => s.healthy).reduce(
  (m, s) => Math.max(m, s.n),
  0,
);
let best = 0;
let fine = 0;
for (const step of steps) {
  best = Math.max(best, step.msgPerS);
  if (step.healthy && step.msgPerS >= 0.8 * best) fine = step.n;
  else break;
}
report.figure({
  id: "scale.running_at_once",
  label: "functions running at once, every one RUNNING with the right totals",
  value: healthyMax,
  unit: "functions",
  note: `steps tried: ${steps.map((s) => s.n).join(", ")}`,
});
report.figure({
  id: "scale.before_degrading",
  label:
    "functions at once before total throughput drops below 80% of the best so far",
  value: fine,
  unit: "functions",
  note: `best ${fmt(best)} msg/s`,
});
const tried = steps.reduce((m, s) => Math.max(m, s.n), 0);
const allHealthy = steps.every((s) => s.healthy);
const scaleCheck = atLeast("scale.functions", "100 functions running at once", {
  value: allHealthy && tried < 100 ? null : healthyMax,
  limit: 100,
  unit: "functions",
});
if (scaleCheck.value === null) {
  scaleCheck.gap = `not tried: this run stopped at ${tried} functions`;
}
report.target(scaleCheck);
await workerMemory();
const perIdle = report.result.figures.filter((f) =>
  f.id.startsWith("server.pss_per_idle.process.")
);
const perIdleWorker = report.result.figures.filter((f) =>
  f.id.startsWith("server.pss_per_idle.worker.")
);
const largest = perIdle[perIdle.length - 1];
report.target(
  atMost(
    "memory.per_idle",
    `<= 64 MiB per idle function, default process isolation (at ${
      largest?.id.split(".").pop() ?? "-"
    } functions; ${
      perIdle.map((f) => `${f.id.split(".").pop()}: ${fmt(f.value)}`).join(", ")
    } MiB; worker isolation: ${
      perIdleWorker.map((f) => `${f.id.split(".").pop()}: ${fmt(f.value)}`)
        .join(", ")
    } MiB)`,
    { value: largest?.value ?? null, limit: 64, unit: "MiB" },
  ),
);
report.note(
  "Each function reads its own partition of one input topic (fixed partition, own consumer group) and writes " +
    "partition 0 of one output topic; throughput is records out / time from the first produce to the last output here.",
);
report.note(
  "Functions are created 4 at a time over gRPC (enable_checkpoint: true, interval 1 s). " +
    "Memory at a step is measured once the server's warm isolate has been refilled and the server and its isolate processes are quiet, " +
    "then after a 3 s settle, before that step's burst; earlier functions have processed earlier bursts. " +
    "Both the base and each step include the one warm isolate the server keeps.",
);
await report.finish();

/**
 * The seed's MetricProcessor through the real server (`main.ts`) and a real
 * broker, each figure beside its baseline measured in the same run:
 * - cold start: CreatePythonFunction sent until the function's first output
 *   arrives here (its input already holds one record), p50/p95;
 * - throughput Kafka to Kafka: a backlog of records read, processed,
 *   written and committed, against native CPython on the same messages;
 * - end-to-end latency p50/p99 at fixed input rates: producer here stamps
 *   each record, the output with total k is record k (fresh state, value 1).
 *
 * Throughput runs `--runs` times (default 3) per variant and reports the
 * median, since other work on the machine moves single runs a lot; CPU
 * seconds per record of the server and the broker are noted beside it
 * (they move less than wall time). `--only=throughput` (or `coldstart`,
 * `latency`, comma-separated) runs only those parts.
 *
 *   deno run -A scripts/bench/kafka_bench.ts [--quick] [--runs=3] [--only=throughput]
 * @module
 */
import { runCpythonBaseline } from "./_cpython.ts";
import {
  type Arrival,
  BenchProducer,
  benchTopic,
  createTopics,
  deleteTopics,
  OutputWatcher,
} from "./_kafka_kit.ts";
import { metricMessages, metricProcessorSource } from "./_operator.ts";
import { cpuSeconds } from "./_proc.ts";
import { argValue, atLeast, atMost, BenchReport, isQuick } from "./_result.ts";
import {
  type BenchServer,
  createMetricFunction,
  startBenchServer,
} from "./_server_kit.ts";
import { median, nowMs, percentile, sleep, summarize } from "./_stats.ts";

const quick = isQuick();
const COLD_STARTS = quick ? 5 : 10;
/** Backlog per throughput run: a few seconds at the current rates, so start-up and the last checkpoint weigh little. */
const N = quick ? 60_000 : 200_000;
const RATES = [100, 1000, 5000];
const RATE_SECONDS = quick ? 4 : 10;
const RUNS = Number(argValue("runs") ?? 3);
const ONLY = argValue("only")?.split(",");
const PARTS = ["coldstart", "throughput", "latency"];
if (!(RUNS >= 1) || ONLY?.some((p) => !PARTS.includes(p))) {
  throw new Error(
    `Cannot run kafka_bench as --runs must be at least 1 and --only one of ${
      PARTS.join(", ")
    }: current values are ${RUNS} and ${ONLY}`,
  );
}
const runs = (part: string) => ONLY === undefined || ONLY.includes(part);
const report = new BenchReport("kafka_bench", { quick });
const encoder = new TextEncoder();
const topics: string[] = [];

async function topic(prefix: string, partitions: number): Promise<string> {
  const name = benchTopic(prefix);
  await createTopics([{ topic: name, partitions }]);
  topics.push(name);
  return name;
}

/** How long the server idles before each create of the idle-server cold start. */
const IDLE_GAP_MS = 5000;

/**
 * Cold start: create to first output, one function at a time. `gapMs`
 * apart, so each create finds the server idle (its warm isolate ready), or
 * back to back (each create right after the previous function was dropped,
 * before the server has warmed a replacement).
 */
async function coldStart(server: BenchServer, gapMs: number): Promise<void> {
  // The server's default isolation on an idle server carries the target;
  // the other cases are reported beside it under their own ids.
  const mode = (server.isolation === "process" ? "" : `${server.isolation}.`) +
    (gapMs > 0 ? "" : "back_to_back.");
  const how = `${server.isolation} isolation, ${
    gapMs > 0 ? `server idle ${gapMs / 1000} s before each` : "back to back"
  }`;
  const input = await topic("cold-in", COLD_STARTS);
  const output = await topic("cold-out", 1);
  const watcher = await OutputWatcher.open(output);
  const producer = await BenchProducer.open();
  const toFirst: number[] = [];
  const toRunning: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    await producer.send(input, [encoder.encode('{"value": 1}')], {
      partition: i,
    });
    await sleep(gapMs);
    const name = `cold-${mode.replaceAll(".", "-")}${i}`;
    const t0 = nowMs();
    // Without checkpoints: with exactly-once ones the first output only
    // becomes visible at the first checkpoint, one interval later.
    await createMetricFunction(server, {
      name,
      inputTopic: input,
      partition: i,
      outputTopic: output,
      checkpoints: false,
    });
    toRunning.push(nowMs() - t0);
    const mine = () => watcher.arrivals.find((a) => a.metric === name);
    if (!await watcher.waitUntil(() => mine() !== undefined, 60_000)) {
      throw new Error(`Cannot measure cold start as ${name} emitted nothing`);
    }
    toFirst.push(mine()!.arrivedMs - t0);
    await server.client.dropFunction(name);
  }
  await producer.close();
  await watcher.close();
  const first = summarize(toFirst);
  const running = summarize(toRunning);
  report.figure({
    id: `coldstart.${mode}first_output_p50`,
    label:
      `cold start p50, create to first output (${COLD_STARTS} functions, enable_checkpoint: false, ${how})`,
    value: first.p50,
    unit: "ms",
    note: `create RPC returned (RUNNING) at p50 ${running.p50.toFixed(0)} ms`,
  });
  report.figure({
    id: `coldstart.${mode}first_output_p95`,
    label: `cold start p95, create to first output (${how})`,
    value: first.p95,
    unit: "ms",
    note: `create RPC p95 ${running.p95.toFixed(0)} ms`,
  });
  if (mode !== "") return;
  report.target(
    atMost(
      "coldstart.p50",
      "cold start p50 <= 250 ms (create to first output, server idle before each create)",
      {
        value: first.p50,
        limit: 250,
        unit: "ms",
      },
    ),
  );
}

const messages = metricMessages(N);

/** The dev broker's pid (scripts/kafka.sh), for its CPU time; null when elsewhere. */
function brokerPid(): number | null {
  if (Deno.env.get("FS_KAFKA_BOOTSTRAP")) return null;
  try {
    const pidFile = new URL("../../.kafka/kafka.pid", import.meta.url);
    const pid = Number(Deno.readTextFileSync(pidFile).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** One throughput run. */
interface ThroughputRun {
  /** msg/s from the server's produce timestamps. */
  rate: number;
  /** Records per distinct produce timestamp (about per server send). */
  perSend: number;
  /** Server CPU (main thread, worker, V8 helpers) from RUNNING to the last output, per record, microseconds (first-run warm-up included). */
  serverCpuUs: number;
  /** Broker CPU per record, microseconds (NaN when not measurable). */
  brokerCpuUs: number;
}

let throughputRuns = 0;

/** Throughput: a backlog of N records through one function; msg/s. */
async function throughput(
  server: BenchServer,
  inputSettings: Record<string, string>,
): Promise<ThroughputRun> {
  const input = await topic("tput-in", 1);
  const output = await topic("tput-out", 1);
  const producer = await BenchProducer.open();
  // kafkajs groups a send's messages in quadratic time: small sends are faster.
  for (let i = 0; i < N; i += 1000) {
    await producer.send(input, messages.values.slice(i, i + 1000));
  }
  await producer.close();
  const watcher = await OutputWatcher.open(output);
  const name = `tput-${++throughputRuns}`;
  const broker = brokerPid();
  const cpu0 = {
    server: server.cpu(),
    broker: broker ? cpuSeconds(broker) : 0,
  };
  await createMetricFunction(server, {
    name,
    inputTopic: input,
    partition: 0,
    outputTopic: output,
    inputSettings,
  });
  const all = () => watcher.arrivals.length >= N;
  if (!await watcher.waitUntil(all, 300_000)) {
    throw new Error(
      `Cannot measure throughput as only ${watcher.arrivals.length} of ${N} outputs arrived`,
    );
  }
  // Includes the first fetch and the last checkpoint: an upper bound.
  const cpu1 = {
    server: server.cpu(),
    broker: broker ? cpuSeconds(broker) : 0,
  };
  await watcher.close();
  await server.client.dropFunction(name);
  const arrivals = watcher.arrivals;
  const last = arrivals[arrivals.length - 1];
  if (last.total !== messages.total || arrivals.length !== N) {
    throw new Error(
      `Cannot trust the Kafka run as its outputs are wrong: current last total is ${last.total} of ${arrivals.length} outputs, expected ${messages.total} of ${N}`,
    );
  }
  // Rates from the server's produce timestamps, after its first batch
  // (which also carries the start-up).
  const first = arrivals[0].createdMs;
  const after = arrivals.filter((a) => a.createdMs > first).length;
  const rate = after / ((last.createdMs - first) / 1000);
  const sends = new Set(arrivals.map((a) => a.createdMs)).size;
  return {
    rate,
    perSend: N / sends,
    serverCpuUs: ((cpu1.server - cpu0.server) / N) * 1e6,
    brokerCpuUs: broker ? ((cpu1.broker - cpu0.broker) / N) * 1e6 : NaN,
  };
}

/** {@link RUNS} runs of one variant; the run with the median rate. */
async function medianThroughput(
  server: BenchServer,
  inputSettings: Record<string, string>,
): Promise<ThroughputRun & { rates: number[] }> {
  const results: ThroughputRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    results.push(await throughput(server, inputSettings));
  }
  const rates = results.map((r) => r.rate);
  const mid = median(rates);
  const chosen = results.reduce((a, b) =>
    Math.abs(b.rate - mid) < Math.abs(a.rate - mid) ? b : a
  );
  return { ...chosen, rate: mid, rates };
}

function throughputNote(run: ThroughputRun & { rates: number[] }): string {
  const cpu = `CPU per record: server ${run.serverCpuUs.toFixed(1)} us` +
    (Number.isNaN(run.brokerCpuUs)
      ? ""
      : `, broker ${run.brokerCpuUs.toFixed(1)} us`);
  return `median of ${run.rates.length} runs: ${
    run.rates.map((r) => r.toFixed(0)).join(", ")
  } msg/s; about ${run.perSend.toFixed(0)} records per server send; ${cpu}`;
}

/**
 * Both throughput variants, the default one again with worker isolation
 * (on `workerServer`), then the CPython baseline on the same messages.
 */
async function throughputs(
  server: BenchServer,
  workerServer: BenchServer,
): Promise<void> {
  const plain = await medianThroughput(server, {});
  const tuned = await medianThroughput(server, { "fetch.max.wait.ms": "10" });
  const inWorker = await medianThroughput(workerServer, {});
  const cpython = await runCpythonBaseline(
    await metricProcessorSource(),
    messages.values,
    { reps: 3, expectedTotal: messages.total },
  );
  const baseline = {
    label: `${cpython.python}, dict context`,
    value: cpython.dictMsgPerS,
  };
  report.figure({
    id: "kafka.msg_per_s",
    label:
      `MetricProcessor Kafka to Kafka through the server, ${N} records (process isolation, the default)`,
    value: plain.rate,
    unit: "msg/s",
    baseline,
    note: throughputNote(plain),
  });
  report.figure({
    id: "kafka.msg_per_s_fetch_wait_10",
    label: "same, input setting fetch.max.wait.ms: 10 (default 100)",
    value: tuned.rate,
    unit: "msg/s",
    baseline,
    note: throughputNote(tuned),
  });
  report.figure({
    id: "kafka.msg_per_s_worker_isolation",
    label: "same as the first, server with --isolation worker",
    value: inWorker.rate,
    unit: "msg/s",
    baseline,
    note: throughputNote(inWorker),
  });
  report.target(
    atLeast(
      "throughput.kafka",
      "Kafka to Kafka throughput >= 0.8x native CPython",
      { value: plain.rate / cpython.dictMsgPerS, limit: 0.8, unit: "x" },
    ),
  );
}

/** Latency at a fixed rate into one fresh function. */
async function latencyAt(
  server: BenchServer,
  rate: number,
  io: { input: string; partition: number; output: string },
): Promise<void> {
  const name = `lat-${rate}`;
  const watcher = await OutputWatcher.open(io.output);
  await createMetricFunction(server, {
    name,
    inputTopic: io.input,
    partition: io.partition,
    outputTopic: io.output,
  });
  const producer = await BenchProducer.open();
  const mine = (): Arrival[] =>
    watcher.arrivals.filter((a) => a.metric === name);
  // Warm up: the first records also pay for the first fetch.
  const warm = 20;
  await producer.send(
    io.input,
    Array.from({ length: warm }, () => encoder.encode('{"value": 1}')),
    { partition: io.partition },
  );
  await watcher.waitUntil(() => mine().length >= warm, 30_000);
  const sent: number[] = [];
  const total = rate * RATE_SECONDS;
  const start = nowMs();
  const inFlight = new Set<Promise<void>>();
  while (sent.length < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) * rate) / 1000));
    const values: Uint8Array[] = [];
    while (sent.length < due) {
      const ts = nowMs();
      sent.push(ts);
      values.push(encoder.encode(JSON.stringify({ value: 1, ts })));
    }
    if (values.length > 0) {
      const p = producer.send(io.input, values, { partition: io.partition });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    await sleep(Math.min(5, 1000 / rate));
  }
  const producedIn = (nowMs() - start) / 1000;
  await Promise.all(inFlight);
  await producer.close();
  await watcher.waitUntil(() => mine().length >= warm + total, 120_000);
  await watcher.close();
  await server.client.dropFunction(name);
  const latencies: number[] = [];
  const serverSide: number[] = [];
  const counted = mine().filter((a) => a.total > warm);
  const outSeconds =
    (counted[counted.length - 1].arrivedMs - counted[0].arrivedMs) /
    1000;
  for (const a of mine()) {
    const k = a.total - warm - 1;
    if (k < 0 || k >= total) continue;
    latencies.push(a.arrivedMs - sent[k]);
    serverSide.push(a.createdMs - sent[k]);
  }
  if (latencies.length < total) {
    throw new Error(
      `Cannot measure latency at ${rate} msg/s as only ${latencies.length} of ${total} outputs arrived`,
    );
  }
  const s = summarize(latencies);
  report.figure({
    id: `latency.${rate}.p50`,
    label: `end-to-end latency p50 at ${rate} msg/s`,
    value: s.p50,
    unit: "ms",
    note: `input ${
      (total / producedIn).toFixed(0)
    } msg/s for ${RATE_SECONDS} s, output ${
      (total / outSeconds).toFixed(0)
    } msg/s`,
  });
  report.figure({
    id: `latency.${rate}.p99`,
    label: `end-to-end latency p99 at ${rate} msg/s`,
    value: s.p99,
    unit: "ms",
    note: `max ${s.max.toFixed(0)} ms; server produce time p50 ${
      percentile(serverSide, 50).toFixed(0)
    } / p99 ${percentile(serverSide, 99).toFixed(0)} ms after send`,
  });
}

const server = await startBenchServer();
const workerServer = await startBenchServer({ isolation: "worker" });
try {
  if (runs("coldstart")) {
    for (const gapMs of [IDLE_GAP_MS, 0]) {
      await coldStart(server, gapMs);
      await coldStart(workerServer, gapMs);
    }
  }
  if (runs("throughput")) await throughputs(server, workerServer);
  if (runs("latency")) {
    const input = await topic("lat-in", RATES.length);
    const output = await topic("lat-out", 1);
    for (const [i, rate] of RATES.entries()) {
      await latencyAt(server, rate, { input, partition: i, output });
    }
  }
  report.note(
    "Every function except the cold-start ones is created over gRPC with enable_checkpoint: true and checkpoint_interval_seconds: 1, " +
      "as the issue asks: outputs go through a Kafka transaction committed with each checkpoint (exactly-once, the default), " +
      "so checkpoint cost is in these figures, and the watcher reads them read_committed (latency includes the wait for the checkpoint).",
  );
  report.note(
    "Inputs use a fixed partition (partition: N), which still joins a consumer group of its own; " +
      "the broker runs on the same 2 cores as the server and this benchmark.",
  );
  report.note(
    "Latency is measured here: send time stamped before the produce call, arrival when the output batch is fetched; " +
      "the server produce time is the output record's Kafka timestamp (same clock, ms resolution).",
  );
} finally {
  for (const running of [server, workerServer]) {
    const code = await running.stop();
    if (code !== 0) {
      console.error(`server exited with ${code}:\n${running.output()}`);
    }
  }
  await deleteTopics(topics);
}
await report.finish();

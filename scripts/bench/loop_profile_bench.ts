/**
 * Where the time of the Kafka-to-Kafka path goes: FunctionRunner's loop
 * (poll, process, send, commit state with positions, group offset commit)
 * rebuilt here from the same parts (KafkaSource, FunctionIsolate, KafkaSink,
 * DenoKvStateBackend) with a clock around every stage.
 * - backlog: throughput and time per stage, with the server's defaults and
 *   with a shorter `fetch.max.wait.ms` (how long kafkajs idles after the
 *   source pauses a full buffer);
 * - 1000 msg/s: latency from produce to committed, with the group offset
 *   commit after every batch (as the runner does) and at most once a second.
 *
 *   deno run -A scripts/bench/loop_profile_bench.ts [--quick]
 * @module
 */
import { openSink, openSource } from "../../runtime/connectors/mod.ts";
import { parseTaskConfig } from "../../runtime/core/mod.ts";
import { FunctionIsolate, PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { DenoKvStateBackend } from "../../runtime/state/mod.ts";
import {
  BenchProducer,
  benchTopic,
  createTopics,
  deleteTopics,
} from "./_kafka_kit.ts";
import {
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
  parseMetricOutput,
} from "./_operator.ts";
import { BenchReport, isQuick } from "./_result.ts";
import { metricTaskYaml } from "./_server_kit.ts";
import { nowMs, sleep, summarize } from "./_stats.ts";

const quick = isQuick();
const N = quick ? 20_000 : 60_000;
const RATE = 1000;
const RATE_SECONDS = quick ? 6 : 15;
const repo = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();
const report = new BenchReport("loop_profile_bench", { quick });
const source = encoder.encode(await metricProcessorSource());
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});
const topics: string[] = [];

interface LoopOptions {
  /** Kafka client settings of the input. */
  inputSettings: Record<string, string>;
  /** Shortest time between group offset commits; 0 commits after every batch. */
  groupCommitEveryMs: number;
  /** Records to process before stopping. */
  count: number;
  /** Called once the loop is ready, with the input topic to fill. */
  feed(input: string): Promise<void>;
  /** Called after each batch is committed. */
  onBatch?(offsets: bigint[], committedAt: number): void;
}

interface LoopResult {
  wallMs: number;
  batches: number;
  stages: { poll: number; process: number; send: number; commit: number };
  lastTotal: number;
  /** Start-up: isolate start, source start (connect, group join), first send (connects the producer). */
  startup: { isolate: number; source: number; firstSend: number };
}

/** FunctionRunner's per-batch sequence with a clock around every stage. */
async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const input = benchTopic("prof-in");
  const output = benchTopic("prof-out");
  topics.push(input, output);
  await createTopics([{ topic: input, partitions: 1 }, {
    topic: output,
    partitions: 1,
  }]);
  const name = `prof-${topics.length}`;
  const config = parseTaskConfig(metricTaskYaml({
    name,
    inputTopic: input,
    partition: 0,
    outputTopic: output,
    inputSettings: options.inputSettings,
  }));
  const kvDir = await Deno.makeTempDir({ prefix: "fs-bench-kv-" });
  const kv = await Deno.openKv(`${kvDir}/state.kv`);
  const state = new DenoKvStateBackend(kv);
  const tStart = performance.now();
  const isolate = await FunctionIsolate.start({
    functionName: name,
    className: METRIC_CLASS,
    modules: [{ name: "metric_processor", source }],
    initConfig: config.initConfig,
    outputCount: 1,
    state,
    snapshot,
  });
  const sink = openSink(config.outputs[0], { clientId: `fs-${name}` });
  const reader = openSource(config.inputGroups[0].inputs[0], {
    sourceId: 0,
    clientId: `fs-${name}`,
  });
  const tSource = performance.now();
  await reader.start([]);
  const startup = {
    isolate: tSource - tStart,
    source: performance.now() - tSource,
    firstSend: 0,
  };
  const feeding = options.feed(input);
  const stages = { poll: 0, process: 0, send: 0, commit: 0 };
  let done = 0, batches = 0, lastTotal = 0, started = 0, lastGroupCommit = 0;
  while (done < options.count) {
    const t0 = performance.now();
    const records = await reader.poll({ maxRecords: 1000, maxWaitMs: 50 });
    const t1 = performance.now();
    if (records.length === 0) {
      if (done > 0) stages.poll += t1 - t0;
      continue;
    }
    if (done === 0) started = t1; // time to the first fetch is start-up
    else stages.poll += t1 - t0;
    const result = await isolate.process(records);
    const t2 = performance.now();
    await sink.send(result.outputs);
    const t3 = performance.now();
    if (batches === 0) startup.firstSend = t3 - t2;
    const positions = [{
      topic: input,
      partition: 0,
      nextOffset: records[records.length - 1].offset + 1n,
    }];
    await state.commit(name, { mutations: result.mutations, positions });
    const t4 = performance.now();
    if (t4 - lastGroupCommit >= options.groupCommitEveryMs) {
      lastGroupCommit = t4;
      reader.commit(positions).catch(() => {});
    }
    options.onBatch?.(records.map((r) => r.offset), nowMs());
    stages.process += t2 - t1;
    stages.send += t3 - t2;
    stages.commit += t4 - t3;
    done += records.length;
    batches++;
    lastTotal =
      parseMetricOutput(result.outputs[result.outputs.length - 1].value)
        .total;
  }
  const wallMs = performance.now() - started;
  await feeding;
  await reader.close();
  await sink.close();
  await isolate.close();
  kv.close();
  await Deno.remove(kvDir, { recursive: true });
  return { wallMs, batches, stages, lastTotal, startup };
}

/** Backlog of N records: throughput and the share of each stage. */
async function backlog(
  variant: string,
  inputSettings: Record<string, string>,
  groupCommitEveryMs = 0,
): Promise<void> {
  const messages = metricMessages(N);
  const r = await runLoop({
    inputSettings,
    groupCommitEveryMs,
    count: N,
    async feed(input) {
      const producer = await BenchProducer.open();
      for (let i = 0; i < N; i += 5000) {
        await producer.send(input, messages.values.slice(i, i + 5000));
      }
      await producer.close();
    },
  });
  if (r.lastTotal !== messages.total) {
    throw new Error(
      `Cannot trust the profile run as its last total is wrong: current value is ${r.lastTotal}, expected ${messages.total}`,
    );
  }
  const share = (ms: number) =>
    `${(ms / r.batches).toFixed(2)} ms/batch, ${
      ((ms / r.wallMs) * 100).toFixed(0)
    }%`;
  report.figure({
    id: `profile.backlog.${variant}`,
    label: `runner loop in-process, backlog, ${variant}`,
    value: N / (r.wallMs / 1000),
    unit: "msg/s",
    note: `${r.batches} batches of ${(N / r.batches).toFixed(0)}; ` +
      `waiting in poll ${share(r.stages.poll)}; process ${
        share(r.stages.process)
      }; ` +
      `Kafka send ${share(r.stages.send)}; KV commit ${
        share(r.stages.commit)
      }; start-up: isolate ${r.startup.isolate.toFixed(0)} ms, source start ${
        r.startup.source.toFixed(0)
      } ms, first send ${r.startup.firstSend.toFixed(0)} ms`,
  });
}

/** RATE msg/s for RATE_SECONDS: latency from produce to committed. */
async function steady(variant: string, groupCommitEveryMs: number) {
  const total = RATE * RATE_SECONDS;
  const sent: number[] = [];
  const latencies: number[] = [];
  await runLoop({
    inputSettings: {},
    groupCommitEveryMs,
    count: total,
    async feed(input) {
      const producer = await BenchProducer.open();
      const start = nowMs();
      const pending: Promise<void>[] = [];
      while (sent.length < total) {
        const due = Math.min(
          total,
          Math.floor((nowMs() - start) * RATE / 1000),
        );
        const values: Uint8Array[] = [];
        while (sent.length < due) {
          sent.push(nowMs());
          values.push(encoder.encode('{"value": 1}'));
        }
        if (values.length > 0) pending.push(producer.send(input, values));
        await sleep(2);
      }
      await Promise.all(pending);
      await producer.close();
    },
    onBatch(offsets, at) {
      for (const offset of offsets) latencies.push(at - sent[Number(offset)]);
    },
  });
  const s = summarize(latencies);
  report.figure({
    id: `profile.steady.${variant}.p99`,
    label:
      `runner loop in-process at ${RATE} msg/s, ${variant}: latency p99 produce to committed`,
    value: s.p99,
    unit: "ms",
    note: `p50 ${s.p50.toFixed(1)} ms, max ${s.max.toFixed(0)} ms`,
  });
}

try {
  await backlog("server defaults", {});
  await backlog("group offsets committed at most once a second", {}, 1000);
  await backlog("fetch.max.wait.ms=10", { "fetch.max.wait.ms": "10" });
  await backlog(
    "fetch.max.wait.ms=10 and group offsets at most once a second",
    { "fetch.max.wait.ms": "10" },
    1000,
  );
  await steady("group offsets committed after every batch (as the runner)", 0);
  await steady("group offsets committed at most once a second", 1000);
} finally {
  await deleteTopics(topics);
}
report.note(
  "Same stage order as FunctionRunner (poll up to 1000 records / 50 ms, process, send, commit state with " +
    "positions, group offset commit not awaited); the clock starts at the first non-empty poll.",
);
await report.finish();

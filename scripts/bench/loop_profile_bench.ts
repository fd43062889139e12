/**
 * Where the time of the Kafka-to-Kafka path goes: FunctionRunner's loop
 * (poll, process, send, commit with positions, group offset commit) rebuilt
 * here from the same parts (KafkaSource, FunctionIsolate, KafkaSink,
 * DenoKvStateBackend) with a clock around every stage. Run once with the
 * server's defaults and once with a shorter `fetch.max.wait.ms`, which
 * bounds how long kafkajs idles after the source pauses a full buffer.
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

const quick = isQuick();
const N = quick ? 20_000 : 60_000;
const repo = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();
const report = new BenchReport("loop_profile_bench", { quick });
const messages = metricMessages(N);
const source = encoder.encode(await metricProcessorSource());
const snapshot = await PyodideSnapshot.prepare({
  cacheDir: `${repo}.cache/isolate`,
});
const topics: string[] = [];

interface Stages {
  poll: number;
  process: number;
  send: number;
  commit: number;
}

async function profile(
  variant: string,
  inputSettings: Record<string, string>,
): Promise<void> {
  const input = benchTopic("prof-in");
  const output = benchTopic("prof-out");
  topics.push(input, output);
  await createTopics([{ topic: input, partitions: 1 }, {
    topic: output,
    partitions: 1,
  }]);
  const producer = await BenchProducer.open();
  for (let i = 0; i < N; i += 5000) {
    await producer.send(input, messages.values.slice(i, i + 5000));
  }
  await producer.close();
  const name = `prof-${topics.length}`;
  const config = parseTaskConfig(metricTaskYaml({
    name,
    inputTopic: input,
    partition: 0,
    outputTopic: output,
    inputSettings,
  }));
  const kvDir = await Deno.makeTempDir({ prefix: "fs-bench-kv-" });
  const kv = await Deno.openKv(`${kvDir}/state.kv`);
  const state = new DenoKvStateBackend(kv);
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
  await reader.start([]);
  const t: Stages = { poll: 0, process: 0, send: 0, commit: 0 };
  let done = 0, batches = 0, last = 0, started = 0;
  while (done < N) {
    const t0 = performance.now();
    const records = await reader.poll({ maxRecords: 1000, maxWaitMs: 50 });
    const t1 = performance.now();
    if (records.length === 0) {
      if (done > 0) t.poll += t1 - t0;
      continue;
    }
    if (done === 0) started = t1; // time to the first fetch is start-up
    else t.poll += t1 - t0;
    const result = await isolate.process(records);
    const t2 = performance.now();
    await sink.send(result.outputs);
    const t3 = performance.now();
    const lastRecord = records[records.length - 1];
    const positions = [{
      topic: input,
      partition: 0,
      nextOffset: lastRecord.offset + 1n,
    }];
    await state.commit(name, { mutations: result.mutations, positions });
    const t4 = performance.now();
    reader.commit(positions).catch(() => {});
    t.process += t2 - t1;
    t.send += t3 - t2;
    t.commit += t4 - t3;
    done += records.length;
    batches++;
    last = parseMetricOutput(result.outputs[result.outputs.length - 1].value)
      .total;
  }
  const wall = performance.now() - started;
  await reader.close();
  await sink.close();
  await isolate.close();
  kv.close();
  await Deno.remove(kvDir, { recursive: true });
  if (last !== messages.total) {
    throw new Error(
      `Cannot trust the profile run as its last total is wrong: current value is ${last}, expected ${messages.total}`,
    );
  }
  const share = (ms: number) =>
    `${(ms / batches).toFixed(2)} ms/batch, ${((ms / wall) * 100).toFixed(0)}%`;
  report.figure({
    id: `profile.${variant}.msg_per_s`,
    label: `runner loop in-process, ${variant}`,
    value: N / (wall / 1000),
    unit: "msg/s",
    note: `${batches} batches of ${(done / batches).toFixed(0)}; ` +
      `waiting in poll ${share(t.poll)}; process ${share(t.process)}; ` +
      `Kafka send ${share(t.send)}; KV commit ${share(t.commit)}`,
  });
}

try {
  await profile("server defaults", {});
  await profile("fetch.max.wait.ms=10", { "fetch.max.wait.ms": "10" });
  await profile("fetch.max.wait.ms=10, max.poll.records=1000", {
    "fetch.max.wait.ms": "10",
    "max.poll.records": "1000",
  });
} finally {
  await deleteTopics(topics);
}
report.note(
  "Same stage order as runtime/lifecycle/function_runner.ts (poll up to 1000 records / 50 ms, process, send, " +
    "commit state with positions, group offset commit not awaited); the clock starts at the first non-empty poll.",
);
await report.finish();

import assert from "node:assert/strict";
import type { StateMutation } from "../core/mod.ts";
import { MetricsRegistry } from "./metrics_registry.ts";

const enc = new TextEncoder();

function put(key: string, value: string): StateMutation {
  return {
    op: "put",
    store: "s",
    key: { kind: "simple", key: enc.encode(key) },
    value: enc.encode(value),
  };
}

/** The value of one sample line, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.split(" ").pop());
  }
  return undefined;
}

Deno.test("MetricsRegistry.batchProcessed() counts records, latency and state writes per function", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  metrics.batchProcessed("etl", {
    recordsIn: 10,
    recordsOut: 7,
    seconds: 0.02,
    mutations: [put("ab", "xyz"), put("c", "")],
  });
  metrics.batchProcessed("etl", {
    recordsIn: 5,
    recordsOut: 0,
    seconds: 3,
    mutations: [],
  });
  metrics.batchProcessed("other", {
    recordsIn: 1,
    recordsOut: 1,
    seconds: 0.001,
    mutations: [],
  });
  const text = await metrics.render();
  const fn = '{function="etl"}';
  assert.equal(sample(text, `fs_function_records_in_total${fn}`), 15);
  assert.equal(sample(text, `fs_function_records_out_total${fn}`), 7);
  assert.equal(sample(text, `fs_function_state_mutations_total${fn}`), 2);
  assert.equal(sample(text, `fs_function_state_written_bytes_total${fn}`), 6);
  assert.equal(
    sample(text, `fs_function_batch_duration_seconds_count${fn}`),
    2,
  );
  assert.equal(
    sample(text, `fs_function_batch_duration_seconds_sum${fn}`),
    3.02,
  );
  assert.equal(
    sample(
      text,
      'fs_function_batch_duration_seconds_bucket{le="0.025",function="etl"}',
    ),
    1,
  );
  assert.equal(
    sample(
      text,
      'fs_function_batch_duration_seconds_bucket{le="5",function="etl"}',
    ),
    2,
  );
  assert.equal(
    sample(text, 'fs_function_records_in_total{function="other"}'),
    1,
  );
});

Deno.test("MetricsRegistry.functionStarted() shows the function's series at zero and reads its lag on each scrape", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  let lag = 5;
  metrics.functionStarted("etl", () => [
    { topic: "in", partition: 0, lag },
    { topic: "in", partition: 3, lag: 0 },
  ]);
  let text = await metrics.render();
  for (
    const name of [
      "fs_function_records_in_total",
      "fs_function_records_out_total",
      "fs_function_errors_total",
      "fs_function_restarts_total",
      "fs_function_state_mutations_total",
      "fs_function_state_written_bytes_total",
      "fs_function_checkpoint_size_bytes",
    ]
  ) assert.equal(sample(text, `${name}{function="etl"}`), 0, name);
  assert.equal(
    sample(
      text,
      'fs_function_consumer_lag{function="etl",topic="in",partition="0"}',
    ),
    5,
  );
  lag = 2;
  text = await metrics.render();
  assert.equal(
    sample(
      text,
      'fs_function_consumer_lag{function="etl",topic="in",partition="0"}',
    ),
    2,
  );
  assert.equal(
    sample(
      text,
      'fs_function_consumer_lag{function="etl",topic="in",partition="3"}',
    ),
    0,
  );
});

Deno.test("MetricsRegistry keeps serving when a lag reader throws", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  metrics.functionStarted("broken", () => {
    throw new Error("runner gone");
  });
  metrics.functionStarted("ok", () => [{ topic: "t", partition: 1, lag: 9 }]);
  const text = await metrics.render();
  assert.equal(
    sample(
      text,
      'fs_function_consumer_lag{function="ok",topic="t",partition="1"}',
    ),
    9,
  );
  assert.doesNotMatch(text, /fs_function_consumer_lag\{function="broken"/);
});

Deno.test("MetricsRegistry counts failures, restarts and checkpoints; a restart keeps the last checkpoint size", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  metrics.functionStarted("etl", () => []);
  metrics.functionFailed("etl");
  metrics.functionFailed("etl");
  metrics.checkpointTaken("etl", { seconds: 0.2, bytes: 4096 });
  metrics.functionRestarted("etl");
  metrics.functionStarted("etl", () => []);
  const text = await metrics.render();
  assert.equal(sample(text, 'fs_function_errors_total{function="etl"}'), 2);
  assert.equal(sample(text, 'fs_function_restarts_total{function="etl"}'), 1);
  assert.equal(
    sample(text, 'fs_function_checkpoint_size_bytes{function="etl"}'),
    4096,
  );
  assert.equal(
    sample(
      text,
      'fs_function_checkpoint_duration_seconds_count{function="etl"}',
    ),
    1,
  );
});

Deno.test("MetricsRegistry.forgetFunction() removes every series of a dropped function", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  metrics.functionStarted("gone", () => [{ topic: "t", partition: 0, lag: 1 }]);
  metrics.batchProcessed("gone", {
    recordsIn: 1,
    recordsOut: 1,
    seconds: 0.1,
    mutations: [],
  });
  metrics.functionStarted("kept", () => []);
  metrics.forgetFunction("gone");
  const text = await metrics.render();
  assert.doesNotMatch(text, /function="gone"/);
  assert.equal(
    sample(text, 'fs_function_records_in_total{function="kept"}'),
    0,
  );
});

Deno.test("MetricsRegistry describes every metric, checkpoints included, in the Prometheus text format", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  const text = await metrics.render();
  assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
  assert.match(text, /# TYPE fs_function_batch_duration_seconds histogram/);
  assert.match(text, /# TYPE fs_function_consumer_lag gauge/);
  assert.match(text, /# TYPE fs_function_errors_total counter/);
  assert.match(
    text,
    /# HELP fs_function_checkpoint_size_bytes .*0 until the server takes checkpoints/,
  );
  assert.doesNotMatch(text, /process_cpu/);
});

Deno.test("MetricsRegistry exports process metrics unless turned off", async () => {
  const metrics = new MetricsRegistry();
  const text = await metrics.render();
  assert.match(text, /^process_resident_memory_bytes \d+/m);
  assert.match(text, /^process_cpu_seconds_total /m);
});

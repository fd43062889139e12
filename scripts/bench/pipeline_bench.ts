/**
 * The engine's data path without Kafka, in this process: the seed's
 * MetricProcessor fed batches of 1000 records from memory, outputs
 * collected, every batch committed to a MemoryStateBackend with its
 * positions (what FunctionRunner does, minus Kafka), against the same class
 * on native CPython with a dict-backed context on the same messages (passes
 * alternate, so both see the same machine load). Then the parts: the bare
 * interpreter (the same loop inside Pyodide on the dict context) and the
 * bridge alone, with one output per record, and with the state get + put.
 *
 *   deno run -A scripts/bench/pipeline_bench.ts [--quick]
 * @module
 */
import { FunctionIsolate, PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { MemoryStateBackend } from "../../runtime/state/mod.ts";
import { runCpythonBaseline } from "./_cpython.ts";
import {
  inputRecords,
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
  parseMetricOutput,
} from "./_operator.ts";
import {
  ECHO_CLASS,
  NOOP_CLASS,
  PROBE_CLASS,
  probeModule,
  STATE_CLASS,
} from "./_pyodide_probes.ts";
import { atLeast, BenchReport, isQuick } from "./_result.ts";
import { median } from "./_stats.ts";

const quick = isQuick();
const N = quick ? 10_000 : 50_000;
const REPS = 3;
const BATCH = 1000;
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

// --- Throughput: batches from memory, outputs collected, commit per batch.
// Baseline passes alternate with the isolate's, so both see the same load.
const all = inputRecords(messages.values, 0);
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
  const result = await probe.process(inputRecords([joined], 0));
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
  const perRecordUs = async (className: string): Promise<number> => {
    const isolate = await start(className, className);
    const t = performance.now();
    for (let i = 0; i < all.length; i += BATCH) {
      await isolate.process(all.slice(i, i + BATCH));
    }
    const us = ((performance.now() - t) * 1000) / all.length;
    await isolate.close();
    return us;
  };
  const noop = await perRecordUs(NOOP_CLASS);
  const echo = await perRecordUs(ECHO_CLASS);
  const stateOnly = await perRecordUs(STATE_CLASS);
  const parts: [string, string, number][] = [
    [
      "noop",
      "no-op operator (bridge only: pack, transfer, loop, unpack)",
      noop,
    ],
    ["echo", "echo operator (bridge + one output per record)", echo],
    [
      "state",
      "state-only operator (bridge + MetricProcessor's get + put)",
      stateOnly,
    ],
  ];
  for (const [id, label, us] of parts) {
    report.figure({
      id: `inmemory.parts.${id}_us`,
      label: `parts: ${label}, batch ${BATCH}`,
      value: us,
      unit: "us/record",
    });
  }
  const total = (main.processMs / BATCH) * 1000;
  const loop = 1e6 / median(parsed.rates);
  report.note(
    `Per record in isolate.process(): ${
      total.toFixed(2)
    } us (batch ${BATCH}; the commit adds ` +
      `${
        ((main.commitMs / BATCH) * 1000).toFixed(2)
      } us). The operator's own Python on a dict ` +
      `context takes ${loop.toFixed(2)} us inside Pyodide vs ${
        (1e6 / cpython.dictMsgPerS).toFixed(2)
      } us on native CPython; the bridge ${noop.toFixed(2)} us, an output ${
        (echo - noop).toFixed(2)
      } us more, the state get + put ${(stateOnly - noop).toFixed(2)} us more.`,
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

import assert from "node:assert/strict";
import { runCpythonBaseline } from "./_cpython.ts";
import { metricMessages, metricProcessorSource } from "./_operator.ts";

Deno.test("runCpythonBaseline() runs MetricProcessor natively and checks its total", async () => {
  const source = await metricProcessorSource();
  const m = metricMessages(2000);
  const result = await runCpythonBaseline(source, m.values, {
    reps: 2,
    expectedTotal: m.total,
  });
  assert.match(result.python, /^CPython 3\./);
  assert.ok(result.dictMsgPerS > 1000);
  assert.ok(result.testContextMsgPerS > 1000);
  await assert.rejects(
    runCpythonBaseline(source, m.values, {
      reps: 2,
      expectedTotal: m.total + 1,
    }),
    /wrong total/,
  );
});

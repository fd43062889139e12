import assert from "node:assert/strict";
import {
  METRIC_CLASS,
  metricMessages,
  metricProcessorSource,
  parseMetricOutput,
} from "./_operator.ts";

Deno.test("metricProcessorSource() is the seed's class without the client part", async () => {
  const source = await metricProcessorSource();
  assert.match(
    source,
    new RegExp(`^class ${METRIC_CLASS}\\(FSProcessorDriver\\):`, "m"),
  );
  assert.match(source, /ctx\.emit\(json\.dumps\(result\)\.encode\(\), 0\)/);
  assert.doesNotMatch(source, /fs_client|WasmTaskBuilder/);
});

Deno.test("metricMessages() cycles values 1..5 and sums them", () => {
  const m = metricMessages(7);
  const values = m.values.map((v) =>
    JSON.parse(new TextDecoder().decode(v)).value
  );
  assert.deepEqual(values, [1, 2, 3, 4, 5, 1, 2]);
  assert.equal(m.total, 18);
});

Deno.test("parseMetricOutput() reads metric and total, and rejects other shapes", () => {
  const enc = new TextEncoder();
  assert.deepEqual(
    parseMetricOutput(enc.encode('{"metric": "m", "total": 3}')),
    { metric: "m", total: 3 },
  );
  assert.throws(
    () => parseMetricOutput(enc.encode('{"total": 3}')),
    /lacks metric/,
  );
});

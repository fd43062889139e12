import assert from "node:assert/strict";
import {
  inputRecords,
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

Deno.test("inputRecords() hands values over in order on topic 'in' partition 0, offsets from firstOffset", () => {
  const values = [new Uint8Array([1]), new Uint8Array([2, 3])];
  const records = inputRecords(values, 7);
  assert.deepEqual(records.map((r) => r.offset), [7n, 8n]);
  assert.deepEqual(records.map((r) => r.value), values);
  for (const record of records) {
    assert.equal(record.topic, "in");
    assert.equal(record.partition, 0);
    assert.equal(record.sourceId, 0);
    assert.equal(record.key, null);
    assert.deepEqual(record.headers, []);
  }
  assert.deepEqual(inputRecords(values).map((r) => r.offset), [0n, 1n]);
});

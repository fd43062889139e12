import assert from "node:assert/strict";
import { parseTaskConfig } from "../../runtime/core/mod.ts";
import { metricTaskYaml } from "./_server_kit.ts";

Deno.test("metricTaskYaml() is a valid task config with a checkpoint every second", () => {
  const config = parseTaskConfig(metricTaskYaml({
    name: "bench-1",
    inputTopic: "in",
    partition: 3,
    outputTopic: "out",
    inputSettings: { "fetch.max.wait.ms": "10" },
  }));
  assert.equal(config.name, "bench-1");
  assert.equal(config.enableCheckpoint, true);
  assert.equal(config.checkpointIntervalSeconds, 1);
  assert.deepEqual(config.initConfig, { metric_name: "bench-1" });
  const input = config.inputGroups[0].inputs[0];
  assert.equal(input.topic, "in");
  assert.equal(input.partition, 3);
  assert.equal(input.clientSettings["auto.offset.reset"], "earliest");
  assert.equal(input.clientSettings["fetch.max.wait.ms"], "10");
  assert.equal(config.outputs[0].topic, "out");
  assert.equal(config.outputs[0].partition, 0);
});

import assert from "node:assert/strict";
import { parseTaskConfig } from "./task_config.ts";
import { FsError } from "./errors.ts";

// What the seed's WasmTaskBuilder example writes with to_yaml().
const SEED_YAML = `name: python-etl-job
type: python
use_builtin_event_serialization: false
enable_checkpoint: false
checkpoint_interval_seconds: 1
init_config:
  metric_name: user_click
input-groups:
- inputs:
  - input-type: kafka
    bootstrap_servers: kafka:9092
    topic: raw-data
    group_id: fs-group
outputs:
- output-type: kafka
  bootstrap_servers: kafka:9092
  topic: clean-data
  partition: 0
`;

function rejects(yaml: string, field: RegExp): void {
  assert.throws(
    () => parseTaskConfig(yaml),
    (e) =>
      e instanceof FsError && e.code === "BAD_REQUEST" && field.test(e.message),
  );
}

Deno.test("parseTaskConfig() reads the seed's builder output", () => {
  const config = parseTaskConfig(SEED_YAML);
  assert.equal(config.name, "python-etl-job");
  assert.equal(config.type, "python");
  assert.equal(config.enableCheckpoint, false);
  assert.equal(config.checkpointIntervalSeconds, 1);
  assert.deepEqual(config.initConfig, { metric_name: "user_click" });
  assert.deepEqual(config.inputGroups[0].inputs[0], {
    bootstrapServers: ["kafka:9092"],
    topic: "raw-data",
    groupId: "fs-group",
    partition: null,
    clientSettings: {},
  });
  assert.equal(config.outputs[0].partition, 0);
  assert.equal(config.outputs[0].topic, "clean-data");
});

Deno.test("parseTaskConfig() keeps extra input keys as Kafka client settings", () => {
  const yaml = SEED_YAML.replace(
    "group_id: fs-group",
    "group_id: fs-group\n    auto.offset.reset: earliest\n    partition: 2",
  );
  const input = parseTaskConfig(yaml).inputGroups[0].inputs[0];
  assert.deepEqual(input.clientSettings, { "auto.offset.reset": "earliest" });
  assert.equal(input.partition, 2);
});

Deno.test("parseTaskConfig() turns scalar init_config values into strings", () => {
  const yaml = SEED_YAML.replace(
    "metric_name: user_click",
    "limit: 5\n  on: true",
  );
  assert.deepEqual(parseTaskConfig(yaml).initConfig, {
    limit: "5",
    on: "true",
  });
});

Deno.test("parseTaskConfig() names the field of every problem", () => {
  rejects("name: [", /YAML/);
  rejects("- a\n- b\n", /document/);
  rejects(SEED_YAML.replace("name: python-etl-job", "name: ../etc"), /'name'/);
  rejects(SEED_YAML.replace("type: python", "type: java"), /'type'/);
  rejects(
    SEED_YAML + "enable_checkpiont: true\n",
    /'enable_checkpiont'.*not a known field/,
  );
  rejects(
    SEED_YAML.replace(
      "checkpoint_interval_seconds: 1",
      "checkpoint_interval_seconds: 0",
    ),
    /checkpoint_interval_seconds/,
  );
  rejects(
    SEED_YAML.replace("metric_name: user_click", "metric_name: [1]"),
    /init_config.metric_name/,
  );
  rejects(
    SEED_YAML.replace("topic: raw-data", "topic: 'a b'"),
    /input-groups\[0\]\.inputs\[0\]\.topic/,
  );
  rejects(SEED_YAML.replace("group_id: fs-group", "group_id: ''"), /group_id/);
  rejects(
    SEED_YAML.replace(
      "bootstrap_servers: kafka:9092\n    topic",
      "bootstrap_servers: kafka\n    topic",
    ),
    /bootstrap_servers/,
  );
  rejects(
    SEED_YAML.replace("partition: 0", "partition: -1"),
    /outputs\[0\]\.partition/,
  );
  rejects(
    SEED_YAML.replace("input-type: kafka", "input-type: pulsar"),
    /input-type/,
  );
});

Deno.test("parseTaskConfig() requires 1 to 64 input groups with inputs", () => {
  const head = SEED_YAML.split("input-groups:")[0];
  rejects(head + "input-groups: []\n", /input-groups/);
  rejects(head + "input-groups:\n- inputs: []\n", /inputs/);
  const group =
    "- inputs:\n  - {bootstrap_servers: 'k:1', topic: T, group_id: g}\n";
  const many = Array.from({ length: 65 }, (_, i) => group.replace("T", `t${i}`))
    .join("");
  rejects(head + "input-groups:\n" + many, /at most 64/);
});

Deno.test("parseTaskConfig() rejects a topic read by two inputs", () => {
  const head = SEED_YAML.split("input-groups:")[0];
  const input = "  - {bootstrap_servers: 'k:1', topic: t, group_id: g}\n";
  rejects(
    head + "input-groups:\n- inputs:\n" + input + input,
    /read by another input/,
  );
});

Deno.test("parseTaskConfig() refuses exactly-once checkpoints over outputs on two clusters", () => {
  const doc = `name: f
enable_checkpoint: true
input-groups:
- inputs:
  - {bootstrap_servers: 'k:1', topic: t, group_id: g}
outputs:
- {bootstrap_servers: 'k:1', topic: a}
- {bootstrap_servers: 'other:1', topic: b}
`;
  assert.throws(
    () => parseTaskConfig(doc),
    /'outputs'.*same bootstrap_servers/,
  );
  const atLeastOnce = parseTaskConfig(
    doc + "checkpoint_guarantee: at_least_once\n",
  );
  assert.equal(atLeastOnce.outputs.length, 2);
  assert.equal(
    parseTaskConfig(doc.replace("enable_checkpoint: true", "")).outputs.length,
    2,
  );
});

Deno.test("parseTaskConfig() refuses exactly-once outputs with different client settings, compression aside", () => {
  const doc = (a: string, b: string) =>
    `name: f
enable_checkpoint: true
input-groups:
- inputs:
  - {bootstrap_servers: 'k:1', topic: t, group_id: g}
outputs:
- {bootstrap_servers: 'k:1', topic: a, ${a}}
- {bootstrap_servers: 'k:1', topic: b, ${b}}
`;
  assert.throws(
    () => parseTaskConfig(doc("acks: '1'", "acks: all")),
    /'outputs'.*same Kafka client settings/,
  );
  const ok = parseTaskConfig(
    doc("compression.type: gzip", "compression.type: none"),
  );
  assert.equal(ok.outputs.length, 2);
});

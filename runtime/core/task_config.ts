/**
 * The task configuration (SPEC section 3): parsed from the YAML that
 * `WasmTaskConfig.to_yaml()` writes, checked field by field, and resolved into
 * an all-required object. Every problem is a BAD_REQUEST naming the field.
 * @module
 */
import { parse as parseYaml } from "yaml";
import { FsError } from "./errors.ts";
import {
  type CheckpointSettings,
  parseCheckpointSettings,
  parseSupervisionSettings,
  parseWatermarkSettings,
  type SupervisionSettings,
  TASK_OPTION_KEYS,
  type WatermarkSettings,
} from "./task_options.ts";

/** One Kafka input of an input group. */
export interface KafkaInputConfig {
  /** Broker addresses ("host:port"). */
  bootstrapServers: string[];
  /** Topic to read. */
  topic: string;
  /** Consumer group id. */
  groupId: string;
  /** Partition to read, or null to join the consumer group. */
  partition: number | null;
  /** Extra keys of the input: Kafka client settings such as `auto.offset.reset`. */
  clientSettings: Record<string, string>;
}

/** One Kafka output; `ctx.emit(data, channel=i)` writes to `outputs[i]`. */
export interface KafkaOutputConfig {
  /** Broker addresses ("host:port"). */
  bootstrapServers: string[];
  /** Topic to write. */
  topic: string;
  /** Partition to write, or null to let the partitioner choose. */
  partition: number | null;
  /** Extra keys of the output: Kafka client settings. */
  clientSettings: Record<string, string>;
}

/** A resolved task configuration. */
export interface TaskConfig {
  /** Function name: 1-128 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
  name: string;
  /** Task type: "python" (or "wasm" for raw modules). */
  type: "python" | "wasm";
  /** Whether the builtin event serialization is used (kept for compatibility). */
  useBuiltinEventSerialization: boolean;
  /** Whether periodic checkpoints are taken. */
  enableCheckpoint: boolean;
  /** Seconds between checkpoints; at least 1. */
  checkpointIntervalSeconds: number;
  /** Checkpoint guarantee and retention: extension keys (see task_options.ts). */
  checkpoints: CheckpointSettings;
  /** String-to-string settings passed to `init(ctx, config)`. */
  initConfig: Record<string, string>;
  /** Input groups; `source_id` in `process()` is the group's index. */
  inputGroups: { inputs: KafkaInputConfig[] }[];
  /** Outputs, indexed by emit channel. */
  outputs: KafkaOutputConfig[];
  /** Event time: extension keys `watermark_*` (see task_options.ts). */
  watermarks: WatermarkSettings;
  /** Heartbeats, call deadline and restart policy: extension keys (see task_options.ts). */
  supervision: SupervisionSettings;
}

/** Most input groups a task may declare. */
export const MAX_INPUT_GROUPS = 64;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;
const SERVER_PATTERN = /^[A-Za-z0-9.\-_\[\]:]+:[0-9]{1,5}$/;
const TOP_LEVEL_KEYS = new Set([
  "name",
  "type",
  "use_builtin_event_serialization",
  "enable_checkpoint",
  "checkpoint_interval_seconds",
  "init_config",
  "input-groups",
  "outputs",
  ...TASK_OPTION_KEYS,
]);

function bad(field: string, problem: string, value?: unknown): FsError {
  const shown = value === undefined ? "" : `: current value is ${show(value)}`;
  return new FsError(
    "BAD_REQUEST",
    `Invalid task config field '${field}': ${problem}${shown}`,
  );
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarString(field: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  throw bad(field, "must be a string", value);
}

function requiredString(
  map: Record<string, unknown>,
  key: string,
  field: string,
): string {
  const value = map[key];
  if (value === undefined || value === null) throw bad(field, "is required");
  const text = scalarString(field, value).trim();
  if (text === "") throw bad(field, "must not be empty");
  return text;
}

function boolField(map: Record<string, unknown>, key: string): boolean {
  const value = map[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") {
    throw bad(key, "must be true or false", value);
  }
  return value;
}

function partitionField(
  map: Record<string, unknown>,
  field: string,
): number | null {
  const value = map.partition;
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw bad(`${field}.partition`, "must be a non-negative integer", value);
  }
  return value;
}

function bootstrapServers(value: unknown, field: string): string[] {
  const list = Array.isArray(value)
    ? value.map((item) => scalarString(field, item))
    : scalarString(field, value ?? "").split(",");
  const servers = list.map((s) => s.trim()).filter((s) => s !== "");
  if (servers.length === 0) throw bad(field, "is required ('host:port')");
  for (const server of servers) {
    if (!SERVER_PATTERN.test(server)) {
      throw bad(field, "each server must look like 'host:port'", server);
    }
  }
  return servers;
}

function topicField(map: Record<string, unknown>, field: string): string {
  const topic = requiredString(map, "topic", `${field}.topic`);
  if (!TOPIC_PATTERN.test(topic) || topic === "." || topic === "..") {
    throw bad(
      `${field}.topic`,
      "must be 1-249 of letters, digits, '.', '_' and '-'",
      topic,
    );
  }
  return topic;
}

function clientSettings(
  map: Record<string, unknown>,
  known: Set<string>,
  field: string,
): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) {
    if (known.has(key)) continue;
    settings[key] = scalarString(`${field}.${key}`, value);
  }
  return settings;
}

const INPUT_KEYS = new Set([
  "input-type",
  "bootstrap_servers",
  "topic",
  "group_id",
  "partition",
]);
const OUTPUT_KEYS = new Set([
  "output-type",
  "bootstrap_servers",
  "topic",
  "partition",
]);

function parseInput(value: unknown, field: string): KafkaInputConfig {
  if (!isMap(value)) throw bad(field, "must be a mapping", value);
  const kind = value["input-type"] ?? "kafka";
  if (kind !== "kafka") {
    throw bad(`${field}.input-type`, "only 'kafka' is supported", kind);
  }
  return {
    bootstrapServers: bootstrapServers(
      value.bootstrap_servers,
      `${field}.bootstrap_servers`,
    ),
    topic: topicField(value, field),
    groupId: requiredString(value, "group_id", `${field}.group_id`),
    partition: partitionField(value, field),
    clientSettings: clientSettings(value, INPUT_KEYS, field),
  };
}

function parseOutput(value: unknown, field: string): KafkaOutputConfig {
  if (!isMap(value)) throw bad(field, "must be a mapping", value);
  const kind = value["output-type"] ?? "kafka";
  if (kind !== "kafka") {
    throw bad(`${field}.output-type`, "only 'kafka' is supported", kind);
  }
  return {
    bootstrapServers: bootstrapServers(
      value.bootstrap_servers,
      `${field}.bootstrap_servers`,
    ),
    topic: topicField(value, field),
    partition: partitionField(value, field),
    clientSettings: clientSettings(value, OUTPUT_KEYS, field),
  };
}

function parseInputGroups(value: unknown): { inputs: KafkaInputConfig[] }[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw bad("input-groups", "must list at least one input group", value);
  }
  if (value.length > MAX_INPUT_GROUPS) {
    throw bad(
      "input-groups",
      `must list at most ${MAX_INPUT_GROUPS} groups`,
      value.length,
    );
  }
  return value.map((group, i) => {
    const field = `input-groups[${i}]`;
    if (!isMap(group) || !Array.isArray(group.inputs)) {
      throw bad(`${field}.inputs`, "must be a list of inputs");
    }
    if (group.inputs.length === 0) {
      throw bad(`${field}.inputs`, "must list at least one input");
    }
    return {
      inputs: group.inputs.map((input, j) =>
        parseInput(input, `${field}.inputs[${j}]`)
      ),
    };
  });
}

// Input positions are stored per topic and partition, so one function may
// read a topic through one input only.
function rejectRepeatedTopics(groups: { inputs: KafkaInputConfig[] }[]): void {
  const seen = new Set<string>();
  groups.forEach((group, i) =>
    group.inputs.forEach((input, j) => {
      if (seen.has(input.topic)) {
        throw bad(
          `input-groups[${i}].inputs[${j}].topic`,
          "is read by another input of this function; read each topic once",
          input.topic,
        );
      }
      seen.add(input.topic);
    })
  );
}

function parseInitConfig(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) {
    throw bad("init_config", "must be a mapping of string to string", value);
  }
  const config: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    config[key] = scalarString(`init_config.${key}`, item);
  }
  return config;
}

/**
 * Parses and checks a task config YAML document.
 *
 * @throws {FsError} BAD_REQUEST naming the first field that is wrong.
 */
export function parseTaskConfig(yamlText: string): TaskConfig {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (error) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot parse task config as YAML: ${(error as Error).message}`,
    );
  }
  if (!isMap(doc)) throw bad("(document)", "must be a YAML mapping", doc);
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw bad(key, "is not a known field");
  }
  const name = requiredString(doc, "name", "name");
  if (!NAME_PATTERN.test(name)) {
    throw bad(
      "name",
      "must be 1-128 of letters, digits, '.', '_' and '-', starting with a letter or digit",
      name,
    );
  }
  const type = doc.type ?? "python";
  if (type !== "python" && type !== "wasm") {
    throw bad("type", "must be 'python' or 'wasm'", type);
  }
  const interval = doc.checkpoint_interval_seconds ?? 1;
  if (
    typeof interval !== "number" || !Number.isInteger(interval) || interval < 1
  ) {
    throw bad(
      "checkpoint_interval_seconds",
      "must be an integer of at least 1",
      interval,
    );
  }
  const inputGroups = parseInputGroups(doc["input-groups"]);
  rejectRepeatedTopics(inputGroups);
  const outputs = doc.outputs ?? [];
  if (!Array.isArray(outputs)) throw bad("outputs", "must be a list", outputs);
  const parsedOutputs = outputs.map((output, i) =>
    parseOutput(output, `outputs[${i}]`)
  );
  const enableCheckpoint = boolField(doc, "enable_checkpoint");
  const checkpoints = parseCheckpointSettings(doc);
  if (enableCheckpoint && checkpoints.guarantee === "exactly_once") {
    rejectSeveralClusters(parsedOutputs);
  }
  return {
    name,
    type,
    useBuiltinEventSerialization: boolField(
      doc,
      "use_builtin_event_serialization",
    ),
    enableCheckpoint,
    checkpointIntervalSeconds: interval,
    checkpoints,
    initConfig: parseInitConfig(doc.init_config),
    inputGroups,
    outputs: parsedOutputs,
    watermarks: parseWatermarkSettings(doc),
    supervision: parseSupervisionSettings(doc),
  };
}

/**
 * One Kafka transaction spans one cluster and one producer, so exactly-once
 * outputs must share the brokers and the client settings (compression may
 * differ per output).
 */
function rejectSeveralClusters(outputs: KafkaOutputConfig[]): void {
  const clusters = new Set(
    outputs.map((o) => [...o.bootstrapServers].sort().join(",")),
  );
  if (clusters.size > 1) {
    throw bad(
      "outputs",
      "must all use the same bootstrap_servers when checkpoint_guarantee is exactly_once (one Kafka transaction spans one cluster)",
      [...clusters],
    );
  }
  const settings = new Set(outputs.map((o) => producerSettingsId(o)));
  if (settings.size > 1) {
    // Only names are shown: values such as sasl.jaas.config hold secrets.
    throw bad(
      "outputs",
      "must all have the same Kafka client settings (except compression.type) when checkpoint_guarantee is exactly_once (one producer writes them all)",
      outputs.map((o) => Object.keys(o.clientSettings).sort().join(",")),
    );
  }
}

function producerSettingsId(output: KafkaOutputConfig): string {
  return JSON.stringify(
    Object.entries(output.clientSettings)
      .filter(([key]) => key !== "compression.type")
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0),
  );
}

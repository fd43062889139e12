/**
 * Maps a Kafka input/output of the task config, and the Kafka client settings
 * given on it (`auto.offset.reset: earliest`, ...), to kafkajs options. Every
 * default lives in {@link KAFKA_DEFAULTS}; every setting that is unknown,
 * unsupported or has a bad value is a BAD_REQUEST naming the setting.
 *
 * Supported on inputs and outputs: `client.id`, `request.timeout.ms`,
 * `socket.connection.setup.timeout.ms`, `retries`, `retry.backoff.ms`,
 * `retry.backoff.max.ms`, `metadata.max.age.ms`, `allow.auto.create.topics`,
 * `security.protocol` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
 * `sasl.mechanism` (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), `sasl.username`,
 * `sasl.password`, `sasl.jaas.config` (username/password are read from it).
 *
 * Inputs only: `auto.offset.reset` (earliest | latest), `session.timeout.ms`,
 * `heartbeat.interval.ms`, `max.poll.interval.ms` (the rebalance timeout),
 * `max.poll.records`, `fetch.min.bytes`, `fetch.max.bytes`,
 * `max.partition.fetch.bytes`, `fetch.max.wait.ms`, `isolation.level`
 * (read_uncommitted | read_committed), `client.rack`, `enable.auto.commit`
 * (only false: offsets are committed by the engine).
 *
 * Outputs only: `acks` (all | -1: the producer is idempotent),
 * `enable.idempotence` (only true), `compression.type` (none | gzip).
 * @module
 */
import type { ConsumerConfig, KafkaConfig, ProducerConfig } from "kafkajs";
import { FsError } from "../../core/mod.ts";
import type { KafkaInputConfig, KafkaOutputConfig } from "../../core/mod.ts";
import {
  bad,
  bool,
  COMMON,
  type CommonState,
  finishSecurity,
  int,
  oneOf,
  type Setter,
} from "./_common_settings.ts";
import { installFastKafkaEncoder } from "./_kafkajs_encoder.ts";
import { kafkaLogCreator, type KafkaLogFn, kafkaLogLevel } from "./_log.ts";

export type { KafkaLogFn };

/**
 * Defaults used when a setting is absent. Where kafkajs and the Java client
 * differ, the Java client's default wins unless noted.
 */
export const KAFKA_DEFAULTS = {
  /** `socket.connection.setup.timeout.ms` (kafkajs: 1000, Java: 10000). */
  connectionTimeoutMs: 3_000,
  /** `request.timeout.ms`. */
  requestTimeoutMs: 30_000,
  /** `retries`: bounded so an unreachable broker fails instead of hanging. */
  retries: 5,
  /** `retry.backoff.ms`: first retry delay; later ones double. */
  retryBackoffMs: 100,
  /** `retry.backoff.max.ms`: longest retry delay. */
  retryBackoffMaxMs: 1_000,
  /**
   * `session.timeout.ms`: 10 s (Kafka's default before 3.0, not 45 s): after
   * a server crash the restarted inputs get their partitions only once the
   * dead members' sessions expire, so this bounds recovery time.
   */
  sessionTimeoutMs: 10_000,
  /** `heartbeat.interval.ms`. */
  heartbeatIntervalMs: 3_000,
  /** `max.poll.interval.ms`, used as the rebalance timeout (kafkajs default). */
  maxPollIntervalMs: 60_000,
  /**
   * `max.poll.records`: most records one poll() returns (Java: 500). 1000 is
   * the runner's batch: at 500 every batch was cut in half, which doubled
   * the isolate calls and produce requests per record (about 14% more
   * server CPU per record in scripts/bench/kafka_bench.ts).
   */
  maxPollRecords: 1000,
  /** `fetch.min.bytes`. */
  fetchMinBytes: 1,
  /** `fetch.max.bytes` (kafkajs default; Java: 50 MiB). */
  fetchMaxBytes: 10 * 1024 * 1024,
  /** `max.partition.fetch.bytes`. */
  maxPartitionFetchBytes: 1024 * 1024,
  /**
   * `fetch.max.wait.ms` (kafkajs: 5000, Java: 500): how long the broker holds
   * a fetch when there is nothing to read. It used to bound how long a full
   * buffer stalled the source (kafkajs sleeps this long when every partition
   * is paused); the source no longer pauses, so now it mostly bounds how
   * long `close()` waits for the fetch in flight.
   */
  fetchMaxWaitMs: 100,
} as const;

/** Options shared by every Kafka client the connectors create. */
export interface KafkaClientOptions {
  /** Client id reported to brokers, unless the `client.id` setting is given. */
  clientId: string;
  /**
   * Receives kafkajs WARN and ERROR logs (routine retry noise is dropped).
   * @default console.error with a "[kafka]" prefix
   */
  logger?: KafkaLogFn;
}

/** kafkajs options for a source, resolved from a {@link KafkaInputConfig}. */
export interface ConsumerSettings {
  /** Options for `new Kafka(...)`. */
  kafka: KafkaConfig;
  /** Options for `kafka.consumer(...)`, without the partition assigner. */
  consumer: Omit<ConsumerConfig, "partitionAssigners">;
  /** Whether a partition without a committed offset starts at the beginning. */
  fromBeginning: boolean;
  /** Most records one poll() returns (`max.poll.records`). */
  maxPollRecords: number;
}

/** kafkajs options for a sink, resolved from a {@link KafkaOutputConfig}. */
export interface ProducerSettings {
  /** Options for `new Kafka(...)`. */
  kafka: KafkaConfig;
  /** Options for `kafka.producer(...)`, without partitioner or transactions. */
  producer: ProducerConfig;
  /** How long the broker may wait for replicas before acking, in ms. */
  ackTimeoutMs: number;
  /** kafkajs compression codec number (0 none, 1 gzip). */
  compression: number;
}

interface ConsumerState extends CommonState {
  consumer: Omit<ConsumerConfig, "partitionAssigners">;
  fromBeginning: boolean;
  maxPollRecords: number;
}

const CONSUMER: Record<string, Setter<ConsumerState>> = {
  "auto.offset.reset": (s, v, n) =>
    s.fromBeginning = oneOf(n, v, ["earliest", "latest"]) === "earliest",
  "session.timeout.ms": (s, v, n) => s.consumer.sessionTimeout = int(n, v, 1),
  "heartbeat.interval.ms": (s, v, n) =>
    s.consumer.heartbeatInterval = int(n, v, 1),
  "max.poll.interval.ms": (s, v, n) =>
    s.consumer.rebalanceTimeout = int(n, v, 1),
  "max.poll.records": (s, v, n) => s.maxPollRecords = int(n, v, 1, 1_000_000),
  "fetch.min.bytes": (s, v, n) => s.consumer.minBytes = int(n, v, 1),
  "fetch.max.bytes": (s, v, n) => s.consumer.maxBytes = int(n, v, 1),
  "max.partition.fetch.bytes": (s, v, n) =>
    s.consumer.maxBytesPerPartition = int(n, v, 1),
  "fetch.max.wait.ms": (s, v, n) => s.consumer.maxWaitTimeInMs = int(n, v, 0),
  "isolation.level": (s, v, n) =>
    s.consumer.readUncommitted =
      oneOf(n, v, ["read_uncommitted", "read_committed"]) ===
        "read_uncommitted",
  "client.rack": (s, v) => s.consumer.rackId = v,
  "enable.auto.commit": (_s, v, n) => {
    if (bool(n, v)) {
      throw bad(n, "offsets are committed by the engine's checkpoints", v);
    }
  },
};

interface ProducerState extends CommonState {
  producer: ProducerConfig;
  ackTimeoutMs: number;
  compression: number;
}

const PRODUCER: Record<string, Setter<ProducerState>> = {
  "acks": (_s, v, n) => {
    oneOf(n, v, ["all", "-1"]); // idempotence needs acks from all replicas
  },
  "enable.idempotence": (_s, v, n) => {
    if (!bool(n, v)) throw bad(n, "outputs are always idempotent", v);
  },
  "compression.type": (s, v, n) =>
    s.compression = oneOf(n, v, ["none", "gzip"]) === "gzip" ? 1 : 0,
};

/** Client-setting names accepted on inputs, sorted. */
export const CONSUMER_SETTING_NAMES: readonly string[] = Object.freeze(
  [...Object.keys(COMMON), ...Object.keys(CONSUMER)].sort(),
);
/** Client-setting names accepted on outputs, sorted. */
export const PRODUCER_SETTING_NAMES: readonly string[] = Object.freeze(
  [...Object.keys(COMMON), ...Object.keys(PRODUCER)].sort(),
);

function common(servers: string[], options: KafkaClientOptions): CommonState {
  return {
    kafka: {
      brokers: [...servers],
      clientId: options.clientId,
      connectionTimeout: KAFKA_DEFAULTS.connectionTimeoutMs,
      requestTimeout: KAFKA_DEFAULTS.requestTimeoutMs,
      logLevel: kafkaLogLevel,
      logCreator: kafkaLogCreator(options.logger),
    },
    retry: {
      retries: KAFKA_DEFAULTS.retries,
      initialRetryTime: KAFKA_DEFAULTS.retryBackoffMs,
      maxRetryTime: KAFKA_DEFAULTS.retryBackoffMaxMs,
    },
  };
}

function applyAll<S extends CommonState>(
  state: S,
  settings: Record<string, string>,
  specific: Record<string, Setter<S>>,
  kind: "input" | "output",
): void {
  for (const [name, value] of Object.entries(settings)) {
    const setter = specific[name] ?? COMMON[name];
    if (setter === undefined) {
      const names = kind === "input"
        ? CONSUMER_SETTING_NAMES
        : PRODUCER_SETTING_NAMES;
      throw new FsError(
        "BAD_REQUEST",
        `Cannot apply Kafka setting '${name}' as it is not supported on an ${kind}: supported settings are ${
          names.join(", ")
        }`,
      );
    }
    setter(state, value, name);
  }
  finishSecurity(state);
  state.kafka.retry = { ...state.retry };
  if (state.retry.initialRetryTime > state.retry.maxRetryTime) {
    throw bad(
      "retry.backoff.ms",
      "it must not exceed retry.backoff.max.ms",
      String(state.retry.initialRetryTime),
    );
  }
}

/**
 * Resolves the kafkajs options of a source.
 *
 * @throws {FsError} BAD_REQUEST naming the first setting that is unknown,
 * unsupported or has a bad value.
 */
export function consumerSettings(
  input: KafkaInputConfig,
  options: KafkaClientOptions,
): ConsumerSettings {
  const state: ConsumerState = {
    ...common(input.bootstrapServers, options),
    consumer: {
      groupId: input.groupId,
      sessionTimeout: KAFKA_DEFAULTS.sessionTimeoutMs,
      heartbeatInterval: KAFKA_DEFAULTS.heartbeatIntervalMs,
      rebalanceTimeout: KAFKA_DEFAULTS.maxPollIntervalMs,
      minBytes: KAFKA_DEFAULTS.fetchMinBytes,
      maxBytes: KAFKA_DEFAULTS.fetchMaxBytes,
      maxBytesPerPartition: KAFKA_DEFAULTS.maxPartitionFetchBytes,
      maxWaitTimeInMs: KAFKA_DEFAULTS.fetchMaxWaitMs,
      readUncommitted: true, // Kafka's default isolation.level
    },
    fromBeginning: false, // Kafka's default auto.offset.reset=latest
    maxPollRecords: KAFKA_DEFAULTS.maxPollRecords,
  };
  applyAll(state, input.clientSettings, CONSUMER, "input");
  const c = state.consumer;
  if (c.heartbeatInterval! >= c.sessionTimeout!) {
    throw bad(
      "heartbeat.interval.ms",
      `it must be lower than session.timeout.ms (${c.sessionTimeout})`,
      String(c.heartbeatInterval),
    );
  }
  c.retry = { ...state.retry };
  if (state.metadataMaxAge !== undefined) {
    c.metadataMaxAge = state.metadataMaxAge;
  }
  if (state.allowAutoTopicCreation !== undefined) {
    c.allowAutoTopicCreation = state.allowAutoTopicCreation;
  }
  return {
    kafka: state.kafka,
    consumer: c,
    fromBeginning: state.fromBeginning,
    maxPollRecords: state.maxPollRecords,
  };
}

/**
 * Resolves the kafkajs options of a sink: idempotent, acks from all replicas.
 * Every producer is built from these, so this is also where kafkajs gets its
 * faster record encoder (same bytes; see _kafkajs_encoder.ts).
 *
 * @throws {FsError} BAD_REQUEST naming the first setting that is unknown,
 * unsupported or has a bad value.
 */
export function producerSettings(
  output: KafkaOutputConfig,
  options: KafkaClientOptions,
): ProducerSettings {
  installFastKafkaEncoder();
  const state: ProducerState = {
    ...common(output.bootstrapServers, options),
    producer: { idempotent: true },
    ackTimeoutMs: KAFKA_DEFAULTS.requestTimeoutMs,
    compression: 0,
  };
  applyAll(state, output.clientSettings, PRODUCER, "output");
  if (state.retry.retries < 1) {
    throw bad("retries", "an idempotent producer needs at least 1", "0");
  }
  state.ackTimeoutMs = state.kafka.requestTimeout!;
  const p = state.producer;
  p.retry = { ...state.retry };
  if (state.metadataMaxAge !== undefined) {
    p.metadataMaxAge = state.metadataMaxAge;
  }
  if (state.allowAutoTopicCreation !== undefined) {
    p.allowAutoTopicCreation = state.allowAutoTopicCreation;
  }
  return {
    kafka: state.kafka,
    producer: p,
    ackTimeoutMs: state.ackTimeoutMs,
    compression: state.compression,
  };
}

/**
 * Helpers for tests that need a real Kafka broker (start one with
 * `deno task kafka`). Every helper opens and closes its own kafkajs clients,
 * so tests keep Deno's resource sanitizers happy.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type IHeaders,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
} from "kafkajs";
import { kafkaLogCreator } from "../../runtime/connectors/kafka/mod.ts";

/** A record for {@link produce}. */
export interface ProduceRecord {
  /** Record value. */
  value: string | Uint8Array;
  /** Record key. */
  key?: string | Uint8Array | null;
  /** Headers; values are strings or bytes. */
  headers?: Record<string, string | Uint8Array>;
  /** Partition to write; the key's partition (or a sticky one) when absent. */
  partition?: number;
}

/** A record returned by {@link consumeAll}. */
export interface ConsumedRecord {
  /** Partition it was read from. */
  partition: number;
  /** Offset in its partition. */
  offset: bigint;
  /** Key bytes, or null. */
  key: Uint8Array | null;
  /** Value bytes (empty for a null value). */
  value: Uint8Array;
  /** Headers as raw bytes (null for a header without value). */
  headers: Record<string, Uint8Array | null>;
  /** Timestamp in milliseconds since the epoch. */
  timestamp: number;
}

/** Options for {@link consumeAll}. */
export interface ConsumeAllOptions {
  /** Stop once this many records arrived. */
  count: number;
  /** Stop after this long even with fewer records. */
  timeoutMs: number;
  /**
   * Whether records of open or aborted transactions are read.
   * @default "read_uncommitted"
   */
  isolation?: "read_committed" | "read_uncommitted";
}

/** Returns the broker address for tests: env FS_KAFKA_BOOTSTRAP or 127.0.0.1:9092. */
export function kafkaBootstrap(): string {
  return Deno.env.get("FS_KAFKA_BOOTSTRAP") || "127.0.0.1:9092";
}

/** Returns a topic name unique to this call, starting with `prefix`. */
export function uniqueTopic(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 100);
  const random = crypto.randomUUID().slice(0, 8);
  return `${clean}-${Date.now().toString(36)}-${random}`;
}

function client(clientId: string): Kafka {
  const config: KafkaConfig = {
    brokers: [kafkaBootstrap()],
    clientId,
    connectionTimeout: 2_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(),
  };
  return new Kafka(config);
}

/** Runs `connect`, turning a connection failure into a hint to start Kafka. */
async function connectOrExplain(connect: () => Promise<void>): Promise<void> {
  try {
    await connect();
  } catch (error) {
    throw new Error(
      `Cannot reach the Kafka broker at ${kafkaBootstrap()}: ${
        (error as Error).message
      }. Start one with \`deno task kafka\` (bash scripts/kafka.sh start), or set FS_KAFKA_BOOTSTRAP.`,
      { cause: error },
    );
  }
}

/** Creates a topic (replication factor 1) and waits until it has leaders. */
export async function createTopic(
  name: string,
  options: { partitions?: number } = {},
): Promise<void> {
  const admin = client("fs-test-admin").admin();
  await connectOrExplain(() => admin.connect());
  try {
    await admin.createTopics({
      topics: [{ topic: name, numPartitions: options.partitions ?? 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

function bytes(value: string | Uint8Array): Buffer {
  return typeof value === "string"
    ? Buffer.from(value, "utf8")
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Writes records in one batch (acks from all replicas) and waits for the ack. */
export async function produce(
  topic: string,
  records: ProduceRecord[],
): Promise<void> {
  const producer = client("fs-test-producer").producer({
    allowAutoTopicCreation: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await connectOrExplain(() => producer.connect());
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => {
        const headers: IHeaders = {};
        for (const [k, v] of Object.entries(r.headers ?? {})) {
          headers[k] = bytes(v);
        }
        return {
          value: bytes(r.value),
          key: r.key === undefined || r.key === null ? null : bytes(r.key),
          headers,
          partition: r.partition,
        };
      }),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `count`
 * records arrived or `timeoutMs` passed, and returns them (fewer than
 * `count` on timeout; it never throws for that, so compare the length).
 * Records are in read order, which is offset order within a partition.
 */
export async function consumeAll(
  topic: string,
  options: ConsumeAllOptions,
): Promise<ConsumedRecord[]> {
  const consumer = client("fs-test-consumer").consumer({
    groupId: `fs-test-${crypto.randomUUID()}`,
    readUncommitted: (options.isolation ?? "read_uncommitted") ===
      "read_uncommitted",
    maxWaitTimeInMs: 100,
  });
  await connectOrExplain(() => consumer.connect());
  const records: ConsumedRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const enough = Promise.withResolvers<void>();
    timer = setTimeout(enough.resolve, options.timeoutMs);
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        if (records.length >= options.count) return Promise.resolve();
        const headers: Record<string, Uint8Array | null> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          const one = Array.isArray(v) ? v[v.length - 1] : v;
          headers[k] = one === undefined || one === null
            ? null
            : typeof one === "string"
            ? new TextEncoder().encode(one)
            : new Uint8Array(one);
        }
        records.push({
          partition,
          offset: BigInt(message.offset),
          key: message.key ? new Uint8Array(message.key) : null,
          value: message.value
            ? new Uint8Array(message.value)
            : new Uint8Array(),
          headers,
          timestamp: Number(message.timestamp),
        });
        if (records.length >= options.count) enough.resolve();
        return Promise.resolve();
      },
    });
    await enough.promise;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return records;
}

/**
 * Kafka clients for the benchmarks: topic admin, a long-lived producer, and
 * an {@link OutputWatcher} that stamps every MetricProcessor output with the
 * time it arrived here.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type Consumer,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
} from "kafkajs";
import { kafkaLogCreator } from "../../runtime/connectors/kafka/mod.ts";
import { parseMetricOutput } from "./_operator.ts";
import { nowMs, sleep } from "./_stats.ts";

/** The broker: env FS_KAFKA_BOOTSTRAP or 127.0.0.1:9092. */
export function bootstrap(): string {
  return Deno.env.get("FS_KAFKA_BOOTSTRAP") || "127.0.0.1:9092";
}

function kafka(clientId: string): Kafka {
  return new Kafka({
    brokers: [bootstrap()],
    clientId,
    connectionTimeout: 3_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(),
  });
}

/** A topic name unique to this run. */
export function benchTopic(prefix: string): string {
  return `fs-bench-${prefix}-${Date.now().toString(36)}-${
    crypto.randomUUID().slice(0, 6)
  }`;
}

/** Creates topics (replication 1) and waits for their leaders. */
export async function createTopics(
  topics: { topic: string; partitions: number }[],
): Promise<void> {
  const admin = kafka("fs-bench-admin").admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions,
      })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics; errors are ignored (clean-up only). */
export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka("fs-bench-admin").admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch {
    // left for the broker's retention
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** A connected producer for input records. */
export class BenchProducer {
  readonly #producer: Producer;

  private constructor(producer: Producer) {
    this.#producer = producer;
  }

  /** Connects a producer. */
  static async open(): Promise<BenchProducer> {
    const producer = kafka("fs-bench-producer").producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    return new BenchProducer(producer);
  }

  /** Writes values to one partition in one request (acks from the leader). */
  async send(
    topic: string,
    values: Uint8Array[],
    options: { partition?: number } = {},
  ): Promise<void> {
    await this.#producer.send({
      topic,
      acks: 1,
      messages: values.map((v) => ({
        value: Buffer.from(v.buffer, v.byteOffset, v.byteLength),
        partition: options.partition ?? 0,
      })),
    });
  }

  /** Writes values to many partitions in one request. */
  async sendMany(
    topic: string,
    batches: { partition: number; values: Uint8Array[] }[],
  ): Promise<void> {
    await this.#producer.send({
      topic,
      acks: 1,
      messages: batches.flatMap((b) =>
        b.values.map((v) => ({
          value: Buffer.from(v.buffer, v.byteOffset, v.byteLength),
          partition: b.partition,
        }))
      ),
    });
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.#producer.disconnect();
  }
}

/** One MetricProcessor output as seen by the watcher. */
export interface Arrival {
  /** `metric` of the output (the bench sets it to the function name). */
  metric: string;
  /** `total` of the output. */
  total: number;
  /** When it reached this process (ms, {@link nowMs} clock). */
  arrivedMs: number;
  /** Its Kafka timestamp: when the server's producer created it (ms). */
  createdMs: number;
}

/** Reads an output topic from the beginning and keeps every arrival. */
export class OutputWatcher {
  /** Every output so far, in read order. */
  readonly arrivals: Arrival[] = [];
  /** The latest total per metric (function). */
  readonly latest = new Map<string, number>();
  readonly #consumer: Consumer;
  #listeners: (() => void)[] = [];

  private constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  /** Subscribes to `topic` with a fresh group and waits until it joined. */
  static async open(topic: string): Promise<OutputWatcher> {
    const consumer = kafka("fs-bench-watcher").consumer({
      groupId: `fs-bench-${crypto.randomUUID()}`,
      maxWaitTimeInMs: 50,
      sessionTimeout: 30_000,
    });
    const watcher = new OutputWatcher(consumer);
    const joined = Promise.withResolvers<void>();
    consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        const arrivedMs = nowMs();
        for (const message of batch.messages) {
          const out = parseMetricOutput(new Uint8Array(message.value!));
          watcher.latest.set(out.metric, out.total);
          watcher.arrivals.push({
            metric: out.metric,
            total: out.total,
            arrivedMs,
            createdMs: Number(message.timestamp),
          });
        }
        for (const wake of watcher.#listeners) wake();
        return Promise.resolve();
      },
    });
    await joined.promise;
    return watcher;
  }

  /**
   * Waits until `done()` holds (checked after every fetched batch) or
   * `timeoutMs` passed; returns whether it holds.
   */
  async waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const woken = Promise.withResolvers<void>();
      this.#listeners.push(woken.resolve);
      await Promise.race([woken.promise, sleep(Math.min(left, 200))]);
      this.#listeners = this.#listeners.filter((l) => l !== woken.resolve);
    }
    return true;
  }

  /** Leaves the group. */
  async close(): Promise<void> {
    await this.#consumer.disconnect();
  }
}

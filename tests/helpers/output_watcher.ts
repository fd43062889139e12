/**
 * {@link OutputWatcher}: a consumer that reads a topic from the beginning
 * for as long as a test runs (across server kills), so the test can wait
 * for output progress and read everything that was committed so far.
 * @module
 */
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { kafkaLogCreator } from "../../runtime/connectors/kafka/mod.ts";
import { kafkaBootstrap } from "./kafka.ts";

/** Options for {@link OutputWatcher.start}. */
export interface OutputWatcherOptions {
  /**
   * Whether records of open or aborted transactions are read.
   * @default "read_committed"
   */
  isolation?: "read_committed" | "read_uncommitted";
}

/** Reads a topic's values (as text) in the background. */
export class OutputWatcher {
  readonly #consumer: Consumer;
  readonly #values: string[] = [];
  readonly #arrivals: number[] = [];
  readonly #decoder = new TextDecoder();

  private constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  /**
   * Starts reading `topic` from its first offset with a fresh group;
   * resolves once the group is joined (so arrival times are fair from then).
   */
  static async start(
    topic: string,
    options: OutputWatcherOptions = {},
  ): Promise<OutputWatcher> {
    const kafka = new Kafka({
      brokers: [kafkaBootstrap()],
      clientId: "fs-test-watcher",
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(),
    });
    const consumer = kafka.consumer({
      groupId: `fs-test-watch-${crypto.randomUUID()}`,
      readUncommitted: options.isolation === "read_uncommitted",
      maxWaitTimeInMs: 100,
    });
    const watcher = new OutputWatcher(consumer);
    const joined = Promise.withResolvers<void>();
    consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = performance.now();
        for (const message of batch.messages) {
          watcher.#arrivals.push(now);
          watcher.#values.push(
            message.value ? watcher.#decoder.decode(message.value) : "",
          );
        }
        return Promise.resolve();
      },
    });
    await joined.promise;
    return watcher;
  }

  /** Records read so far. */
  get count(): number {
    return this.#values.length;
  }

  /** The values read so far, in read order (offset order on one partition). */
  values(): string[] {
    return [...this.#values];
  }

  /** When record `index` (0-based, read order) arrived, on the `performance.now()` clock. */
  arrivalMs(index: number): number | undefined {
    return this.#arrivals[index];
  }

  /**
   * Resolves once `count` records were read.
   *
   * @throws {Error} after `timeoutMs`, with `explain()` in the message.
   */
  async waitForCount(
    count: number,
    options: { timeoutMs: number; explain?: () => string },
  ): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    while (this.#values.length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot read ${count} output records within ${options.timeoutMs} ms: current count is ${this.#values.length}${
            options.explain ? `\n${options.explain()}` : ""
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops reading. */
  async close(): Promise<void> {
    await this.#consumer.disconnect();
  }
}

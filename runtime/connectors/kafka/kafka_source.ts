/**
 * {@link KafkaSource}: reads one Kafka input with kafkajs into a bounded
 * buffer that `poll()` drains.
 *
 * How records are neither lost nor duplicated:
 * - Offsets are managed by hand (autoCommit off, eachBatchAutoResolve off):
 *   a record's offset is resolved only once it is in the buffer, so kafkajs's
 *   next fetch starts right after the last buffered record.
 * - When the buffer is full the batch handler waits (heartbeating) until
 *   `poll()` makes room, then buffers the rest of the batch: kafkajs fetches
 *   the next batch only when the handler returns, so the wait is the
 *   back-pressure, and no fetched record is thrown away. (Pausing instead
 *   made kafkajs drop the rest of each fetch, up to 1 MiB, decode it again
 *   after `resume()` and sleep `fetch.max.wait.ms` while paused: at most one
 *   buffer per fetch cycle.)
 * - kafkajs forgets resolved offsets on every rebalance (and restart) and
 *   would go back to the committed offset. So on every assignment the source
 *   seeks each partition it has read (or got from `start()`) to the offset
 *   after its last buffered record; batches that are stale because of such a
 *   seek are not taken.
 * - A revoked partition loses its buffered records; its position is kept only
 *   if it came from `start()`, otherwise the group's committed offset (which
 *   another member may have advanced) applies when it comes back.
 * @module
 */
import type { Consumer, EachBatchPayload } from "kafkajs";
import { FsError } from "../../core/mod.ts";
import type {
  InputRecord,
  KafkaInputConfig,
  SourcePosition,
} from "../../core/mod.ts";
import type {
  PartitionHighWatermark,
  PollOptions,
  SourceReader,
} from "../connector.ts";
import { createConsumer } from "./_clients.ts";
import { kafkaError } from "./_errors.ts";
import { toInputRecords } from "./_fetched_records.ts";
import { RecordBuffer } from "./_record_buffer.ts";
import {
  type ConsumerSettings,
  consumerSettings,
  type KafkaClientOptions,
} from "./kafka_settings.ts";

/** Retriable crashes in a row (without a batch between them) before giving up. */
const MAX_RESTARTS = 5;

/**
 * Longest wait for buffer space between two heartbeat calls (kafkajs sends
 * one only when `heartbeat.interval.ms` has passed since the last).
 */
const SPACE_WAIT_MS = 500;

/** Options for {@link KafkaSource}. */
export interface KafkaSourceOptions extends KafkaClientOptions {
  /** Index of the input group; set as `sourceId` on every record. */
  sourceId: number;
  /**
   * Records buffered before the fetch loop waits for `poll()`. Enough for
   * several batches, so that the next fetch (which kafkajs starts only once
   * the current one is buffered) lands before the buffer runs dry.
   * @default 10000
   */
  bufferRecords?: number;
  /**
   * Key+value bytes buffered before the fetch loop waits for `poll()`.
   * @default 16 MiB
   */
  bufferBytes?: number;
}

type State = "new" | "starting" | "running" | "closed";

/** A {@link SourceReader} for one Kafka input (a topic, or one partition of it). */
export class KafkaSource implements SourceReader {
  readonly #input: KafkaInputConfig;
  readonly #settings: ConsumerSettings;
  readonly #options: KafkaSourceOptions;
  readonly #buffer: RecordBuffer;
  #state: State = "new";
  #consumer: Consumer | null = null;
  #failure: FsError | null = null;
  #assigned = new Set<number>();
  /** Next offset to buffer, per partition this source has positioned. */
  readonly #next = new Map<number, bigint>();
  /** Partitions whose position came from start(). */
  readonly #stored = new Set<number>();
  /** High watermark of the last batch fetched, per partition. */
  readonly #highWatermarks = new Map<number, bigint>();
  #restarts = 0;
  #unlisten: (() => void)[] = [];
  #closing: Promise<void> | null = null;

  /**
   * Resolves the settings; connects only in {@link start}.
   *
   * @throws {FsError} BAD_REQUEST for a bad client setting or option.
   */
  constructor(input: KafkaInputConfig, options: KafkaSourceOptions) {
    if (!Number.isInteger(options.sourceId) || options.sourceId < 0) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot create a Kafka source as sourceId must be a non-negative integer: current value is ${options.sourceId}`,
      );
    }
    this.#input = input;
    this.#options = options;
    this.#settings = consumerSettings(input, options);
    this.#buffer = new RecordBuffer({
      maxRecords: options.bufferRecords ?? 10_000,
      maxBytes: options.bufferBytes ?? 16 * 1024 * 1024,
    });
  }

  /** Partitions of the topic currently assigned to this source, sorted. */
  assignedPartitions(): number[] {
    return [...this.#assigned].sort((a, b) => a - b);
  }

  /** The high watermark of the last batch fetched, per assigned partition. */
  highWatermarks(): PartitionHighWatermark[] {
    const topic = this.#input.topic;
    return this.assignedPartitions().flatMap((partition) => {
      const highWatermark = this.#highWatermarks.get(partition);
      return highWatermark === undefined
        ? []
        : [{ topic, partition, highWatermark }];
    });
  }

  /**
   * Connects, joins the group and waits for the first assignment. Positions
   * of other topics (or, for a fixed-partition input, other partitions) are
   * ignored, so the engine may pass all positions of an input group.
   *
   * @throws {FsError} UNAVAILABLE when the brokers cannot be reached (after
   * the bounded retries of {@link KAFKA_DEFAULTS}), BAD_REQUEST when the
   * fixed partition does not exist.
   */
  async start(positions: SourcePosition[]): Promise<void> {
    if (this.#state !== "new") {
      throw new FsError(
        "INTERNAL",
        `Cannot start the Kafka source of topic '${this.#input.topic}' as it was started before: current state is ${this.#state}`,
      );
    }
    this.#state = "starting";
    for (const position of this.#mine(positions)) {
      this.#stored.add(position.partition);
      this.#next.set(position.partition, position.nextOffset);
    }
    const consumer = createConsumer(this.#settings, {
      partition: this.#input.partition,
      restartOnFailure: () => this.#mayRestart(),
    });
    this.#consumer = consumer;
    this.#unlisten = [
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        this.#onAssignment(event.payload.memberAssignment[this.#input.topic]);
      }),
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) this.#fail(event.payload.error);
      }),
    ];
    try {
      await consumer.connect();
      await subscribeWhenTopicExists(consumer, {
        topic: this.#input.topic,
        fromBeginning: this.#settings.fromBeginning,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.#onBatch(payload),
      });
    } catch (error) {
      this.#fail(error);
    }
    const failure = this.#failure;
    if (failure !== null) {
      await this.close();
      throw failure;
    }
    if (this.#state === "starting") this.#state = "running";
  }

  /**
   * Returns buffered records at once, or waits up to `maxWaitMs` for some.
   * Returns at most `maxRecords` and at most `max.poll.records`.
   *
   * @throws {FsError} the failure that stopped the consumer, if any.
   */
  async poll(options: PollOptions = {}): Promise<InputRecord[]> {
    if (this.#state === "new" || this.#state === "starting") {
      throw new FsError(
        "INTERNAL",
        `Cannot poll the Kafka source of topic '${this.#input.topic}' as start() has not finished: current state is ${this.#state}`,
      );
    }
    const maxRecords = options.maxRecords ?? 500;
    if (!Number.isInteger(maxRecords) || maxRecords < 1) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot poll as maxRecords must be a positive integer: current value is ${maxRecords}`,
      );
    }
    this.#throwIfFailed();
    if (this.#state === "closed") return [];
    if (this.#buffer.size === 0) {
      await this.#buffer.waitForRecords(
        options.maxWaitMs ?? 100,
        options.signal,
      );
      this.#throwIfFailed();
    }
    return this.#buffer.take(
      Math.min(maxRecords, this.#settings.maxPollRecords),
    );
  }

  /**
   * Commits `nextOffset` of each position of this input to the group.
   *
   * @throws {FsError} UNAVAILABLE when the commit fails (e.g. during a
   * rebalance); INTERNAL when the source is not running.
   */
  async commit(positions: SourcePosition[]): Promise<void> {
    const mine = this.#mine(positions);
    if (mine.length === 0) return;
    const consumer = this.#consumer;
    if (this.#state !== "running" || consumer === null) {
      throw new FsError(
        "INTERNAL",
        `Cannot commit offsets of topic '${this.#input.topic}' as the source is not running: current state is ${this.#state}`,
      );
    }
    try {
      await consumer.commitOffsets(mine.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.nextOffset.toString(),
      })));
    } catch (error) {
      throw kafkaError(error, {
        action:
          `commit offsets of topic '${this.#input.topic}' for group '${this.#input.groupId}'`,
        servers: this.#input.bootstrapServers,
      });
    }
  }

  /** Leaves the group and disconnects; waiting polls return. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = "closed";
    this.#buffer.wakeAll();
    for (const unlisten of this.#unlisten) unlisten();
    const consumer = this.#consumer;
    this.#consumer = null;
    try {
      await consumer?.disconnect();
    } catch {
      // kafkajs already logged it; the sockets are gone either way.
    }
    this.#buffer.take(Number.MAX_SAFE_INTEGER);
  }

  #mine(positions: SourcePosition[]): SourcePosition[] {
    const { topic, partition } = this.#input;
    return positions.filter((p) => {
      if (p.topic !== topic) return false;
      if (partition !== null && p.partition !== partition) return false;
      if (p.nextOffset < 0n) {
        throw new FsError(
          "BAD_REQUEST",
          `Cannot use the position of ${topic}[${p.partition}] as its offset must not be negative: current value is ${p.nextOffset}`,
        );
      }
      return true;
    });
  }

  #mayRestart(): Promise<boolean> {
    this.#restarts++;
    return Promise.resolve(
      this.#state !== "closed" && this.#restarts <= MAX_RESTARTS,
    );
  }

  #fail(error: unknown): void {
    this.#failure ??= kafkaError(error, {
      action:
        `read topic '${this.#input.topic}' as group '${this.#input.groupId}'`,
      servers: this.#input.bootstrapServers,
    });
    this.#buffer.wakeAll();
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Runs synchronously inside kafkajs's join, before any fetch of the new generation. */
  #onAssignment(partitions: number[] = []): void {
    const consumer = this.#consumer;
    if (consumer === null) return;
    const topic = this.#input.topic;
    const assigned = new Set(partitions);
    for (const partition of this.#assigned) {
      if (assigned.has(partition)) continue;
      const firstDropped = this.#buffer.dropPartition(topic, partition);
      if (!this.#stored.has(partition)) this.#next.delete(partition);
      else if (firstDropped !== undefined) {
        this.#next.set(partition, firstDropped);
      }
    }
    this.#assigned = assigned;
    for (const partition of assigned) {
      const next = this.#next.get(partition);
      if (next !== undefined) {
        consumer.seek({ topic, partition, offset: next.toString() });
      }
    }
    const fixed = this.#input.partition;
    if (fixed !== null && !assigned.has(fixed)) {
      this.#failure ??= new FsError(
        "BAD_REQUEST",
        `Cannot read partition ${fixed} of topic '${topic}' as the group did not assign it: the topic has no such partition, or group '${this.#input.groupId}' is led by a consumer outside Function Stream`,
      );
      this.#buffer.wakeAll();
    }
  }

  async #onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    const { topic, partition, messages } = batch;
    if (topic !== this.#input.topic || !this.#assigned.has(partition)) return;
    this.#highWatermarks.set(partition, BigInt(batch.highWatermark));
    const stopped = () => !isRunning() || isStale() || this.#state === "closed";
    let from = 0;
    while (from < messages.length && !stopped()) {
      if (this.#buffer.isFull()) {
        await this.#buffer.waitForSpace(SPACE_WAIT_MS);
        // Throws when the group rebalances: kafkajs then rejoins, and the
        // assignment seeks to the offset after the last buffered record.
        if (!stopped()) await payload.heartbeat();
        continue;
      }
      const records = toInputRecords(messages, {
        from,
        maxRecords: this.#buffer.room,
        maxBytes: this.#buffer.byteRoom,
        sourceId: this.#options.sourceId,
        topic,
        partition,
      });
      from += records.length;
      this.#buffer.pushAll(records);
      this.#next.set(partition, records[records.length - 1].offset + 1n);
      resolveOffset(messages[from - 1].offset);
    }
    this.#restarts = 0;
  }
}

/** How long to wait for a topic the broker is still auto-creating. */
const TOPIC_CREATION_WAIT_MS = 15_000;

// A broker with auto.create.topics.enable creates a missing topic on the
// first metadata request but answers UNKNOWN_TOPIC_OR_PARTITION until its
// leader is elected, so a fresh topic needs a few retries.
async function subscribeWhenTopicExists(
  consumer: Consumer,
  options: { topic: string; fromBeginning: boolean },
): Promise<void> {
  const deadline = Date.now() + TOPIC_CREATION_WAIT_MS;
  while (true) {
    try {
      await consumer.subscribe({
        topics: [options.topic],
        fromBeginning: options.fromBeginning,
      });
      return;
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type !== "UNKNOWN_TOPIC_OR_PARTITION" || Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * {@link KafkaTransactionalWriter}: one transactional kafkajs producer that
 * writes every output of a function, committing with a commit record (a
 * transactional offset commit whose metadata is the checkpoint's token) so
 * that a new writer can learn which checkpoint Kafka committed last.
 * @module
 */
import type { Message, PartitionOffset, Producer, Transaction } from "kafkajs";
import { FsError, messageOf } from "../../core/mod.ts";
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import type { TransactionalWriter } from "../connector.ts";
import { createAdmin, createProducer } from "./_clients.ts";
import { isFencedError, kafkaError, kafkaErrorTypes } from "./_errors.ts";
import { toKafkaMessage } from "./_records.ts";
import {
  MAX_TOKEN_BYTES,
  type TransactionSettings,
  transactionSettings,
  type TransactionSettingsOptions,
} from "./_transaction_settings.ts";

/** Options for {@link KafkaTransactionalWriter}. */
export type KafkaTransactionalWriterOptions = TransactionSettingsOptions;

type Phase = "new" | "open" | "closed";

/**
 * A {@link TransactionalWriter} over Kafka. Every call runs after the
 * previous one finished, so a commit covers exactly the sends called before
 * it.
 */
export class KafkaTransactionalWriter implements TransactionalWriter {
  readonly #outputs: KafkaOutputConfig[];
  readonly #id: string;
  readonly #settings: TransactionSettings;
  readonly #servers: string[];
  #phase: Phase = "new";
  #producer: Producer | null = null;
  /** The kafkajs transaction begun and not yet ended, if any. */
  #txn: Transaction | null = null;
  /** Set when a send of the current transaction failed: it must be aborted. */
  #sendFailure: FsError | null = null;
  /** Set once fenced or after a failed commit/abort: only close() works. */
  #broken: FsError | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  /**
   * Resolves the settings; nothing connects until {@link open}.
   *
   * @throws {FsError} BAD_REQUEST for no outputs, outputs on several
   * clusters or with different client settings, or a bad setting or option.
   */
  constructor(
    outputs: KafkaOutputConfig[],
    options: KafkaTransactionalWriterOptions,
  ) {
    this.#settings = transactionSettings(outputs, options);
    this.#outputs = [...outputs];
    this.#id = options.transactionalId;
    this.#servers = outputs[0].bootstrapServers;
  }

  /**
   * Connects, fences earlier writers with the same transactional id and
   * returns the token of the last committed transaction, or null.
   *
   * @throws {FsError} UNAVAILABLE when the cluster cannot be reached or an
   * earlier writer's transaction does not finish within the retries,
   * BAD_REQUEST when the cluster refuses the id or timeout.
   */
  open(): Promise<string | null> {
    if (this.#phase !== "new") {
      return Promise.reject(this.#misuse("open", "it was opened before"));
    }
    this.#phase = "open";
    return this.#run(async () => {
      try {
        return await this.#openProducer();
      } catch (error) {
        this.#phase = "new"; // opening again is allowed
        throw error;
      }
    });
  }

  /**
   * Writes the records in the current transaction (begun on first use).
   * Each record goes to the output its `channel` names; the output's
   * partition wins, else murmur2 on the key.
   *
   * @throws {FsError} CONFLICT when fenced; UNAVAILABLE or BAD_REQUEST when
   * the cluster fails or refuses the records (then only abort() is allowed).
   */
  send(records: OutputRecord[]): Promise<void> {
    let batches: Map<number, { topic: string; messages: Message[] }[]>;
    try {
      this.#checkUsable("send", `${records.length} records`);
      batches = this.#toBatches(records);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(async () => {
      this.#checkNotBroken();
      if (this.#sendFailure !== null) {
        throw new FsError(
          "INTERNAL",
          `Cannot send ${records.length} records with transactional writer '${this.#id}' as an earlier send of this transaction failed and it must be aborted first: current error is ${this.#sendFailure.message}`,
        );
      }
      if (records.length === 0) return;
      const txn = await this.#transaction("send records");
      const { ackTimeoutMs } = this.#settings.producer;
      try {
        for (const [compression, topicMessages] of batches) {
          await txn.sendBatch({
            topicMessages,
            acks: -1,
            timeout: ackTimeoutMs,
            compression,
          });
        }
      } catch (error) {
        const failure = this.#classify(error, {
          action:
            `write ${records.length} records in a transaction of '${this.#id}'`,
        });
        if (failure.code !== "CONFLICT") this.#sendFailure = failure;
        throw failure;
      }
    });
  }

  /**
   * Commits the current transaction (an empty one when nothing was sent)
   * with a commit record naming `token`.
   *
   * @throws {FsError} CONFLICT when fenced; UNAVAILABLE when the outcome is
   * unknown (close, then open a new writer to learn it); INTERNAL when a
   * send of the transaction failed (abort it) or the token is unusable.
   */
  commit(token: string): Promise<void> {
    try {
      this.#checkUsable("commit", `token ${JSON.stringify(token)}`);
      checkToken(token, this.#id);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(async () => {
      this.#checkNotBroken();
      if (this.#sendFailure !== null) {
        throw new FsError(
          "INTERNAL",
          `Cannot commit token ${
            JSON.stringify(token)
          } with transactional writer '${this.#id}' as a send of this transaction failed and it must be aborted: current error is ${this.#sendFailure.message}`,
        );
      }
      const txn = await this.#transaction(`commit token '${token}'`);
      const { commitGroup, commitTopic } = this.#settings;
      const record: PartitionOffset & { metadata: string } = {
        partition: 0,
        offset: "0",
        metadata: token,
      };
      try {
        await sendOffsetsOnceIdle(txn, {
          consumerGroupId: commitGroup,
          topics: [{ topic: commitTopic, partitions: [record] }],
        });
        await txn.commit();
        this.#txn = null;
      } catch (error) {
        // kafkajs cannot retry or abort after a failed EndTxn; a new writer's
        // open() completes or aborts the transaction and reports which.
        throw this.#break(error, {
          action:
            `commit token '${token}' in transactional writer '${this.#id}'`,
          then:
            "the outcome is unknown: close this writer and open a new one, whose open() returns the last committed token",
        });
      }
    });
  }

  /**
   * Aborts the current transaction, if any.
   *
   * @throws {FsError} CONFLICT when fenced; UNAVAILABLE when the abort
   * failed (close, then open a new writer: opening aborts it).
   */
  abort(): Promise<void> {
    if (this.#phase !== "open" || this.#closing !== null) {
      return Promise.resolve();
    }
    return this.#run(async () => {
      this.#checkNotBroken();
      if (this.#txn === null) return;
      const action = `abort a transaction of '${this.#id}'`;
      const then = "close this writer and open a new one, which aborts it";
      if (this.#sendFailure !== null) {
        // The failed produce may have been written although kafkajs rolled
        // back its sequence numbers: start over with a new producer epoch.
        // Its InitProducerId aborts the open transaction.
        const old = this.#producer;
        this.#producer = null;
        this.#txn = null;
        await old?.disconnect().catch(() => {});
        try {
          await this.#openProducer({ readToken: false });
        } catch (error) {
          throw this.#break(error, { action, then });
        }
        this.#sendFailure = null;
        return;
      }
      try {
        await this.#txn.abort();
        this.#txn = null;
      } catch (error) {
        throw this.#break(error, { action, then });
      }
    });
  }

  /** Waits for pending calls, aborts what is open and disconnects. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#tail;
    this.#phase = "closed";
    const txn = this.#txn;
    this.#txn = null;
    if (txn !== null && this.#broken === null && txn.isActive()) {
      // Best effort: a fenced or failed transaction is aborted by the broker
      // (on timeout) or by the next writer's open().
      await txn.abort().catch(() => {});
    }
    const producer = this.#producer;
    this.#producer = null;
    await producer?.disconnect().catch(() => {});
  }

  /** Connects a producer, fences older ones and (optionally) reads the token. */
  async #openProducer(
    options: { readToken: boolean } = { readToken: true },
  ): Promise<string | null> {
    const producer = createProducer(this.#settings.producer, {
      transactionalId: this.#id,
      transactionTimeoutMs: this.#settings.transactionTimeoutMs,
    });
    try {
      await producer.connect();
      // kafkajs sends InitProducerId on the first transaction() only: that
      // bumps the epoch, which fences older producers and aborts their open
      // transaction (it retries CONCURRENT_TRANSACTIONS while one finishes).
      const txn = await producer.transaction();
      const token = options.readToken ? await this.#readToken() : null;
      this.#producer = producer;
      this.#txn = txn;
      return token;
    } catch (error) {
      await producer.disconnect().catch(() => {});
      throw kafkaError(error, {
        action:
          `open transactional writer '${this.#id}' (fencing older writers)`,
        servers: this.#servers,
      });
    }
  }

  /** Reads the token of the last committed transaction from its commit record. */
  async #readToken(): Promise<string | null> {
    const { commitGroup, commitTopic } = this.#settings;
    const admin = createAdmin(this.#settings.producer.kafka);
    await admin.connect();
    try {
      const topics = await admin.fetchOffsets({
        groupId: commitGroup,
        topics: [commitTopic],
      });
      const partition = topics.find((t) => t.topic === commitTopic)
        ?.partitions.find((p) => p.partition === 0);
      if (partition === undefined || partition.offset === "-1") return null;
      return partition.metadata ?? null;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** The open kafkajs transaction, or a new one (local until first use). */
  async #transaction(action: string): Promise<Transaction> {
    if (this.#txn !== null) return this.#txn;
    try {
      this.#txn = await this.#producer!.transaction();
    } catch (error) {
      throw this.#break(error, {
        action: `${action} in transactional writer '${this.#id}'`,
        then: "close this writer and open a new one",
      });
    }
    return this.#txn;
  }

  /** Groups messages by compression, then topic; order kept per topic. */
  #toBatches(
    records: OutputRecord[],
  ): Map<number, { topic: string; messages: Message[] }[]> {
    const byCompression = new Map<number, Map<string, Message[]>>();
    for (const record of records) {
      const output = this.#outputs[record.channel];
      if (output === undefined) {
        throw new FsError(
          "INTERNAL",
          `Cannot send a record to output channel ${record.channel} as the function has ${this.#outputs.length} outputs: current value is ${record.channel}`,
        );
      }
      const compression = this.#settings.compressions[record.channel];
      const topics = byCompression.get(compression) ?? new Map();
      byCompression.set(compression, topics);
      const list = topics.get(output.topic) ?? [];
      topics.set(output.topic, list);
      list.push(toKafkaMessage(record, output.partition));
    }
    const batches = new Map<number, { topic: string; messages: Message[] }[]>();
    for (const [compression, topics] of byCompression) {
      batches.set(
        compression,
        [...topics].map(([topic, messages]) => ({ topic, messages })),
      );
    }
    return batches;
  }

  /** CONFLICT for a fenced producer, else the usual Kafka classification. */
  #classify(error: unknown, options: { action: string }): FsError {
    if (isFencedError(error)) {
      const conflict = new FsError(
        "CONFLICT",
        `Cannot ${options.action} as another writer with transactional id '${this.#id}' took over (or the broker aborted the transaction after transactionTimeoutMs): current error is ${
          messageOf(error)
        }`,
        { cause: error },
      );
      this.#broken = conflict;
      return conflict;
    }
    return kafkaError(error, {
      action: options.action,
      servers: this.#servers,
    });
  }

  /** Classifies the error and leaves the writer usable only for close(). */
  #break(error: unknown, options: { action: string; then: string }): FsError {
    const classified = this.#classify(error, options);
    if (classified.code === "CONFLICT") return classified;
    const broken = new FsError(
      classified.code,
      `${classified.message} (${options.then})`,
      { cause: error },
    );
    this.#broken = broken;
    return broken;
  }

  #checkUsable(action: string, what: string): void {
    if (this.#phase === "open" && this.#closing === null) return;
    const state = this.#closing !== null ? "closed" : this.#phase;
    throw this.#misuse(`${action} ${what}`, `it is not open`, state);
  }

  #checkNotBroken(): void {
    if (this.#broken !== null) throw this.#broken;
  }

  #misuse(action: string, problem: string, state = this.#phase): FsError {
    return new FsError(
      "INTERNAL",
      `Cannot ${action} with transactional writer '${this.#id}' as ${problem}: current state is ${state}`,
    );
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/** Retries of {@link sendOffsetsOnceIdle}: about 2.5 s in all. */
const IDLE_RETRIES = 10;

/**
 * Adds the commit record to the transaction. Right after the previous
 * commit the coordinator still writes its markers and answers
 * CONCURRENT_TRANSACTIONS, which kafkajs does not retry here; nothing was
 * added then, so trying again soon is safe.
 */
async function sendOffsetsOnceIdle(
  txn: Transaction,
  offsets: Parameters<Transaction["sendOffsets"]>[0],
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      return await txn.sendOffsets(offsets);
    } catch (error) {
      const busy = kafkaErrorTypes(error).includes("CONCURRENT_TRANSACTIONS");
      if (!busy || attempt >= IDLE_RETRIES) throw error;
      await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 500)));
    }
  }
}

function checkToken(token: string, id: string): void {
  const bytes = typeof token === "string"
    ? new TextEncoder().encode(token).byteLength
    : 0;
  if (bytes === 0 || bytes > MAX_TOKEN_BYTES) {
    throw new FsError(
      "INTERNAL",
      `Cannot commit with transactional writer '${id}' as the token must be a string of 1 to ${MAX_TOKEN_BYTES} UTF-8 bytes: current value is ${
        typeof token === "string" ? `${bytes} bytes` : typeof token
      }`,
    );
  }
}

/**
 * {@link KafkaTransactionalWriter}: one transactional kafkajs producer that
 * writes every output of a function, committing with a commit record (a
 * transactional offset commit whose metadata is the checkpoint's token) so
 * that a new writer can learn which checkpoint Kafka committed last.
 * @module
 */
import type { Producer, Transaction } from "kafkajs";
import { FsError, messageOf } from "../../core/mod.ts";
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import type { TransactionalWriter } from "../connector.ts";
import { createProducer } from "./_clients.ts";
import {
  addCommitRecord,
  checkToken,
  readCommittedToken,
} from "./_commit_record.ts";
import { isFencedError, kafkaError } from "./_errors.ts";
import { type SendBatch, toSendBatches } from "./_records.ts";
import {
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
  /** Token of the last commit this writer made or found at open(). */
  #lastToken: string | null = null;
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
        this.#lastToken = await this.#openProducer();
        return this.#lastToken;
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
    let batches: SendBatch[];
    try {
      this.#checkUsable("send", `${records.length} records`);
      batches = toSendBatches(records, {
        outputs: this.#outputs,
        compressions: this.#settings.compressions,
      });
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
        for (const { compression, topicMessages } of batches) {
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
      try {
        await addCommitRecord(txn, this.#settings, token);
        await txn.commit();
        this.#txn = null;
        this.#lastToken = token;
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
        await this.#abortAndRestart(action, then);
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

  /**
   * Aborts after a failed send and restarts with a new producer epoch: the
   * failed produce may have been written although kafkajs rolled back its
   * sequence numbers, and a reused sequence would let the broker drop later
   * records as duplicates. The abort with the current epoch comes first so a
   * writer that was fenced in the meantime stops instead of fencing back;
   * the token read afterwards must still be this writer's last one.
   */
  async #abortAndRestart(action: string, then: string): Promise<void> {
    try {
      await this.#txn!.abort();
    } catch (error) {
      // Anything but fencing: the new epoch below aborts it anyway.
      if (isFencedError(error)) throw this.#classify(error, { action });
    }
    const old = this.#producer;
    this.#producer = null;
    this.#txn = null;
    await old?.disconnect().catch(() => {});
    let token: string | null;
    try {
      token = await this.#openProducer();
    } catch (error) {
      throw this.#break(error, { action, then });
    }
    if (token !== this.#lastToken) {
      this.#broken = new FsError(
        "CONFLICT",
        `Cannot ${action} as another writer with transactional id '${this.#id}' took over and committed: current token is ${
          JSON.stringify(token)
        }, this writer's last is ${JSON.stringify(this.#lastToken)}`,
      );
      throw this.#broken;
    }
    this.#sendFailure = null;
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

  /** Connects a producer, fences older ones and reads the last token. */
  async #openProducer(): Promise<string | null> {
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
      const token = await readCommittedToken(this.#settings);
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

/**
 * {@link KafkaSink}: writes one Kafka output with an idempotent kafkajs
 * producer (acks from all in-sync replicas).
 * @module
 */
import type { Message, Producer } from "kafkajs";
import { FsError } from "../../core/mod.ts";
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import type { SinkWriter } from "../connector.ts";
import { createProducer } from "./_clients.ts";
import { kafkaError } from "./_errors.ts";
import { toKafkaMessage } from "./_records.ts";
import {
  type KafkaClientOptions,
  type ProducerSettings,
  producerSettings,
} from "./kafka_settings.ts";

/** Options for {@link KafkaSink}. */
export type KafkaSinkOptions = KafkaClientOptions;

/**
 * A {@link SinkWriter} for one Kafka output. Sends run one after another in
 * call order, so records keep their order even when `send()` is called again
 * before the previous call resolved.
 */
export class KafkaSink implements SinkWriter {
  readonly #output: KafkaOutputConfig;
  readonly #settings: ProducerSettings;
  #producer: Producer | null = null;
  #connecting: Promise<Producer> | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | null = null;

  /**
   * Resolves the settings; connects on {@link connect} or the first send.
   *
   * @throws {FsError} BAD_REQUEST for a bad client setting.
   */
  constructor(output: KafkaOutputConfig, options: KafkaSinkOptions) {
    this.#output = output;
    this.#settings = producerSettings(output, options);
  }

  /**
   * Connects the producer now (otherwise the first send does), to fail fast.
   *
   * @throws {FsError} UNAVAILABLE when the brokers cannot be reached.
   */
  async connect(): Promise<void> {
    await this.#connected();
  }

  /**
   * Writes the records, in order, in one produce call per broker, and
   * resolves once every one is acknowledged. The output's partition (if
   * any) wins over the partitioner; keys and headers are passed through.
   *
   * @throws {FsError} UNAVAILABLE when the cluster cannot take them after the
   * bounded retries, BAD_REQUEST when it refuses them (e.g. too large).
   */
  send(records: OutputRecord[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new FsError(
          "INTERNAL",
          `Cannot send to topic '${this.#output.topic}' as the sink is closed: current record count is ${records.length}`,
        ),
      );
    }
    const messages = records.map((r) =>
      toKafkaMessage(r, this.#output.partition)
    );
    const sent = this.#tail.then(() => this.#send(messages));
    this.#tail = sent.catch(() => {});
    return sent;
  }

  /** Waits for pending sends, then disconnects. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
    const producer = this.#producer ??
      await this.#connecting?.catch(() => null) ?? null;
    this.#producer = null;
    try {
      await producer?.disconnect();
    } catch {
      // kafkajs already logged it; the sockets are gone either way.
    }
  }

  async #send(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.#connected();
    try {
      await producer.send({
        topic: this.#output.topic,
        acks: -1,
        timeout: this.#settings.ackTimeoutMs,
        compression: this.#settings.compression,
        messages,
      });
    } catch (error) {
      throw kafkaError(error, {
        action:
          `write ${messages.length} records to topic '${this.#output.topic}'`,
        servers: this.#output.bootstrapServers,
      });
    }
  }

  #connected(): Promise<Producer> {
    if (this.#producer !== null) return Promise.resolve(this.#producer);
    this.#connecting ??= (async () => {
      const producer = createProducer(this.#settings);
      try {
        await producer.connect();
      } catch (error) {
        this.#connecting = null;
        await producer.disconnect().catch(() => {});
        throw kafkaError(error, {
          action: `connect to Kafka to write topic '${this.#output.topic}'`,
          servers: this.#output.bootstrapServers,
        });
      }
      this.#producer = producer;
      return producer;
    })();
    return this.#connecting;
  }
}

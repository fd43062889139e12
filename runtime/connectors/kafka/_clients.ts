/**
 * The one place where kafkajs clients are created from resolved settings, so
 * every consumer and producer gets the same partitioner, assigner and retry
 * choices (and exactly-once can add a transactional producer here).
 * @module
 */
import {
  type Admin,
  type Consumer,
  Kafka,
  type KafkaConfig,
  Partitioners,
  type Producer,
} from "kafkajs";
import { fsPartitionAssigner } from "./_partition_assigner.ts";
import type { ConsumerSettings, ProducerSettings } from "./kafka_settings.ts";

/** Options for {@link createConsumer}. */
export interface CreateConsumerOptions {
  /** The one partition to read, or null to read a share of the topic. */
  partition: number | null;
  /**
   * Called when kafkajs wants to restart the consumer after a retriable
   * crash; return false to give up.
   */
  restartOnFailure: (error: Error) => Promise<boolean>;
}

/** Creates a consumer that reads through the Function Stream assigner. */
export function createConsumer(
  settings: ConsumerSettings,
  options: CreateConsumerOptions,
): Consumer {
  return new Kafka(settings.kafka).consumer({
    ...settings.consumer,
    partitionAssigners: [fsPartitionAssigner(options.partition)],
    retry: {
      ...settings.consumer.retry,
      restartOnFailure: options.restartOnFailure,
    },
  });
}

/** Options for {@link createProducer}. */
export interface CreateProducerOptions {
  /**
   * Makes the producer transactional under this id.
   * @default undefined (idempotent, not transactional)
   */
  transactionalId?: string;
  /**
   * How long the broker lets a transaction stay open before it aborts it,
   * in milliseconds (only with `transactionalId`).
   * @default 60000 (kafkajs)
   */
  transactionTimeoutMs?: number;
}

/**
 * Creates an idempotent producer with the Java client's partitioner
 * (murmur2 on the key), so keyed records land where Java producers put them.
 */
export function createProducer(
  settings: ProducerSettings,
  options: CreateProducerOptions = {},
): Producer {
  const transactional = options.transactionalId === undefined ? {} : {
    transactionalId: options.transactionalId,
    transactionTimeout: options.transactionTimeoutMs,
    maxInFlightRequests: 1,
  };
  return new Kafka(settings.kafka).producer({
    ...settings.producer,
    ...transactional,
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** Creates an admin client on the same connection settings as a client. */
export function createAdmin(kafka: KafkaConfig): Admin {
  return new Kafka(kafka).admin({ retry: kafka.retry });
}

/**
 * Resolves the settings of the one transactional producer that writes every
 * output of a function: the outputs must share a cluster and client settings
 * (one connection), except `compression.type`, which stays per output.
 * @module
 */
import { FsError } from "../../core/mod.ts";
import type { KafkaOutputConfig } from "../../core/mod.ts";
import {
  type KafkaClientOptions,
  type ProducerSettings,
  producerSettings,
} from "./kafka_settings.ts";

/** Largest token the broker keeps (`offset.metadata.max.bytes` default). */
export const MAX_TOKEN_BYTES = 4096;

/** Prefix of the consumer group that holds a writer's commit record. */
export const COMMIT_GROUP_PREFIX = "fs-eos.";

/** Options for {@link transactionSettings}. */
export interface TransactionSettingsOptions extends KafkaClientOptions {
  /** The producer's transactional id. */
  transactionalId: string;
  /**
   * How long the broker lets a transaction stay open before aborting it, ms.
   * @default 60000
   */
  transactionTimeoutMs?: number;
}

/** Resolved settings of a transactional writer. */
export interface TransactionSettings {
  /** Connection and producer options (from the first output). */
  producer: ProducerSettings;
  /** kafkajs compression codec of each output, by channel. */
  compressions: number[];
  /** Consumer group of the commit record: `fs-eos.<transactionalId>`. */
  commitGroup: string;
  /** Topic whose partition 0 carries the commit record (the first output's). */
  commitTopic: string;
  /** Transaction timeout passed to the broker, ms. */
  transactionTimeoutMs: number;
}

/** Delay of the first send retry of a transactional writer, in ms. */
export const QUICK_RETRY_MS = 10;

/**
 * Makes sends retry sooner at first. Right after a commit the coordinator
 * still writes its markers for a few milliseconds, and the next
 * transaction's first send gets CONCURRENT_TRANSACTIONS: with the usual
 * 100 ms first delay that cost a third of checkpoint cycles ~110 ms (the
 * Java client retries this case after 20 ms). Delays double from 10 ms,
 * with as many extra retries as it takes to reach the configured first
 * delay, so each later delay, and the time before an outage fails a send,
 * is at least what the settings say.
 */
function withQuickFirstRetries(settings: ProducerSettings): ProducerSettings {
  const retry = settings.producer.retry ?? {};
  const initial = retry.initialRetryTime ?? 300;
  if (initial <= QUICK_RETRY_MS) return settings;
  return {
    ...settings,
    producer: {
      ...settings.producer,
      retry: {
        ...retry,
        initialRetryTime: QUICK_RETRY_MS,
        retries: (retry.retries ?? 5) +
          Math.ceil(Math.log2(initial / QUICK_RETRY_MS)),
      },
    },
  };
}

/** Names of the settings (other than compression.type) that differ, sorted. */
function differingSettings(
  a: Record<string, string>,
  b: Record<string, string>,
): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  names.delete("compression.type");
  return [...names].filter((n) => a[n] !== b[n]).sort();
}

/**
 * Resolves and checks the settings of a transactional writer.
 *
 * @throws {FsError} BAD_REQUEST when there is no output, the outputs use
 * different clusters or client settings, an output setting is bad, or the
 * transactional id or timeout is invalid.
 */
export function transactionSettings(
  outputs: KafkaOutputConfig[],
  options: TransactionSettingsOptions,
): TransactionSettings {
  const id = options.transactionalId;
  if (typeof id !== "string" || id.trim() === "") {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot open a transactional writer as its transactional id must not be empty: current value is ${
        JSON.stringify(id)
      }`,
    );
  }
  const timeout = options.transactionTimeoutMs ?? 60_000;
  if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > 2 ** 31 - 1) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot open transactional writer '${id}' as transactionTimeoutMs must be an integer from 1 to ${
        2 ** 31 - 1
      }: current value is ${timeout}`,
    );
  }
  if (outputs.length === 0) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot open transactional writer '${id}' as the function has no outputs to write: current value is 0 outputs`,
    );
  }
  const first = outputs[0];
  const cluster = [...first.bootstrapServers].sort().join(",");
  const resolved = outputs.map((output, i) => {
    const servers = [...output.bootstrapServers].sort().join(",");
    if (servers !== cluster) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot write outputs[${i}] in the transactions of '${id}' as one transaction spans one cluster (${cluster}): current value is ${servers}`,
      );
    }
    const differing = differingSettings(
      output.clientSettings,
      first.clientSettings,
    );
    if (differing.length > 0) {
      // Names only: a setting such as sasl.jaas.config holds a password.
      throw new FsError(
        "BAD_REQUEST",
        `Cannot write outputs[${i}] in the transactions of '${id}' as one producer writes every output, so client settings other than compression.type must equal those of outputs[0]: current differing settings are ${
          differing.join(", ")
        }`,
      );
    }
    return producerSettings(output, options);
  });
  return {
    producer: withQuickFirstRetries(resolved[0]),
    compressions: resolved.map((r) => r.compression),
    commitGroup: `${COMMIT_GROUP_PREFIX}${id}`,
    commitTopic: first.topic,
    transactionTimeoutMs: timeout,
  };
}

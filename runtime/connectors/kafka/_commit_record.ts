/**
 * The commit record of a transactional writer: a transactional offset
 * commit for group `fs-eos.<transactionalId>` on partition 0 of the first
 * output topic, whose metadata is the checkpoint's token. It commits or
 * aborts with the transaction's records, so the token Kafka holds names the
 * last checkpoint whose outputs were committed.
 * @module
 */
import type { PartitionOffset, Transaction } from "kafkajs";
import { FsError } from "../../core/mod.ts";
import { createAdmin } from "./_clients.ts";
import { kafkaErrorTypes } from "./_errors.ts";
import {
  MAX_TOKEN_BYTES,
  type TransactionSettings,
} from "./_transaction_settings.ts";

/** Retries of {@link addCommitRecord} while the coordinator is busy: ~2.5 s. */
const BUSY_RETRIES = 10;

/**
 * Checks that a token can be stored and read back unchanged.
 *
 * @throws {FsError} INTERNAL for an empty or too long token.
 */
export function checkToken(token: string, transactionalId: string): void {
  const bytes = typeof token === "string"
    ? new TextEncoder().encode(token).byteLength
    : 0;
  if (bytes === 0 || bytes > MAX_TOKEN_BYTES) {
    throw new FsError(
      "INTERNAL",
      `Cannot commit with transactional writer '${transactionalId}' as the token must be a string of 1 to ${MAX_TOKEN_BYTES} UTF-8 bytes: current value is ${
        typeof token === "string" ? `${bytes} bytes` : typeof token
      }`,
    );
  }
}

/**
 * Adds the commit record naming `token` to the transaction. Right after the
 * previous commit the coordinator still writes its markers and answers
 * CONCURRENT_TRANSACTIONS, which kafkajs does not retry here; nothing was
 * added then, so trying again soon is safe.
 */
export async function addCommitRecord(
  txn: Transaction,
  settings: TransactionSettings,
  token: string,
): Promise<void> {
  const record: PartitionOffset & { metadata: string } = {
    partition: 0,
    offset: "0",
    metadata: token, // kafkajs passes it through TxnOffsetCommit untyped
  };
  const offsets = {
    consumerGroupId: settings.commitGroup,
    topics: [{ topic: settings.commitTopic, partitions: [record] }],
  };
  for (let attempt = 0;; attempt++) {
    try {
      return await txn.sendOffsets(offsets);
    } catch (error) {
      const busy = kafkaErrorTypes(error).includes("CONCURRENT_TRANSACTIONS");
      if (!busy || attempt >= BUSY_RETRIES) throw error;
      await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 500)));
    }
  }
}

/**
 * Reads the token of the last committed commit record, or null when none
 * was committed. Call it after InitProducerId: that waits for a commit in
 * progress to complete, before which the record is not visible.
 */
export async function readCommittedToken(
  settings: TransactionSettings,
): Promise<string | null> {
  const { commitGroup, commitTopic } = settings;
  const admin = createAdmin(settings.producer.kafka);
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

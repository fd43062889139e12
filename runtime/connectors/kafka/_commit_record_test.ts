import assert from "node:assert/strict";
import type { Transaction } from "kafkajs";
import { FsError } from "../../core/mod.ts";
import { addCommitRecord, checkToken } from "./_commit_record.ts";
import { transactionSettings } from "./_transaction_settings.ts";

const settings = transactionSettings(
  [{
    bootstrapServers: ["127.0.0.1:9092"],
    topic: "out",
    partition: 3,
    clientSettings: {},
  }],
  { clientId: "fs-test", transactionalId: "fs-f" },
);

/** A transaction whose sendOffsets fails with the given types, in turn. */
function fakeTransaction(failures: string[], calls: unknown[]): Transaction {
  const sendOffsets = (offsets: unknown) => {
    calls.push(offsets);
    const type = failures.shift();
    if (type === undefined) return Promise.resolve();
    return Promise.reject(
      Object.assign(new Error(type), { name: "KafkaJSProtocolError", type }),
    );
  };
  return { sendOffsets } as unknown as Transaction;
}

Deno.test("addCommitRecord() commits the token as metadata of partition 0 of the first output in the fs-eos group", async () => {
  const calls: unknown[] = [];
  await addCommitRecord(fakeTransaction([], calls), settings, "tok");
  assert.deepEqual(calls, [{
    consumerGroupId: "fs-eos.fs-f",
    topics: [{
      topic: "out",
      partitions: [{ partition: 0, offset: "0", metadata: "tok" }],
    }],
  }]);
});

Deno.test("addCommitRecord() retries while the coordinator answers CONCURRENT_TRANSACTIONS, and nothing else", async () => {
  const calls: unknown[] = [];
  const busy = ["CONCURRENT_TRANSACTIONS", "CONCURRENT_TRANSACTIONS"];
  await addCommitRecord(fakeTransaction(busy, calls), settings, "tok");
  assert.equal(calls.length, 3);
  const other: unknown[] = [];
  await assert.rejects(
    () =>
      addCommitRecord(
        fakeTransaction(["INVALID_PRODUCER_EPOCH"], other),
        settings,
        "tok",
      ),
    /INVALID_PRODUCER_EPOCH/,
  );
  assert.equal(other.length, 1);
});

Deno.test("checkToken() accepts 1 to 4096 UTF-8 bytes", () => {
  checkToken("x", "fs-f");
  checkToken("é".repeat(2048), "fs-f");
  for (const bad of ["", "é".repeat(2049)]) {
    assert.throws(() => checkToken(bad, "fs-f"), (error: unknown) => {
      assert.ok(error instanceof FsError);
      assert.match(
        error.message,
        /^Cannot commit with transactional writer 'fs-f' as the token must be a string of 1 to 4096 UTF-8 bytes: current value is \d+ bytes$/,
      );
      return true;
    });
  }
});

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AssignerProtocol } from "kafkajs";
import {
  decodeWish,
  FS_ASSIGNER_NAME,
  fsPartitionAssigner,
  type MemberWish,
  planAssignment,
} from "./_partition_assigner.ts";

const partitions = (n: number) => () => Array.from({ length: n }, (_, i) => i);

Deno.test("planAssignment() gives fixed members their partition and shares the rest", () => {
  const wishes: MemberWish[] = [
    { memberId: "b", topics: ["t"], partition: null },
    { memberId: "a", topics: ["t"], partition: 2 },
    { memberId: "c", topics: ["t"], partition: null },
  ];
  const plan = planAssignment(wishes, partitions(5));
  assert.deepEqual(plan.get("a"), { t: [2] });
  assert.deepEqual(plan.get("b"), { t: [0, 3] });
  assert.deepEqual(plan.get("c"), { t: [1, 4] });
});

Deno.test("planAssignment() gives each fixed member its own partition of a shared group", () => {
  const plan = planAssignment([
    { memberId: "m1", topics: ["t"], partition: 0 },
    { memberId: "m2", topics: ["t"], partition: 1 },
    { memberId: "m3", topics: ["t"], partition: 9 },
  ], partitions(3));
  assert.deepEqual(plan.get("m1"), { t: [0] });
  assert.deepEqual(plan.get("m2"), { t: [1] });
  assert.deepEqual(
    plan.get("m3"),
    {},
    "a partition that does not exist is not given",
  );
});

Deno.test("planAssignment() only gives members topics they subscribed to", () => {
  const plan = planAssignment([
    { memberId: "x", topics: ["t1"], partition: null },
    { memberId: "y", topics: ["t2"], partition: null },
  ], partitions(2));
  assert.deepEqual(plan.get("x"), { t1: [0, 1] });
  assert.deepEqual(plan.get("y"), { t2: [0, 1] });
});

Deno.test("fsPartitionAssigner() announces its partition and the leader honours it", async () => {
  const cluster = {
    addMultipleTargetTopics: () => Promise.resolve(),
    findTopicPartitionMetadata: () =>
      [0, 1, 2].map((partitionId) => ({ partitionId })),
  };
  // deno-lint-ignore no-explicit-any
  const make = (p: number | null) => fsPartitionAssigner(p)({ cluster } as any);
  const fixed = make(1).protocol({ topics: ["t"] });
  const share = make(null).protocol({ topics: ["t"] });
  assert.equal(fixed.name, FS_ASSIGNER_NAME);
  assert.equal(
    decodeWish({ memberId: "f", memberMetadata: fixed.metadata }).partition,
    1,
  );
  const result = await make(null).assign({
    members: [
      { memberId: "f", memberMetadata: fixed.metadata },
      { memberId: "s", memberMetadata: share.metadata },
    ],
    topics: ["t"],
  });
  const decoded = Object.fromEntries(result.map((r) => [
    r.memberId,
    AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment,
  ]));
  assert.deepEqual(decoded, { f: { t: [1] }, s: { t: [0, 2] } });
});

Deno.test("decodeWish() treats a member without user data as reading a share", () => {
  const metadata = AssignerProtocol.MemberMetadata.encode({
    version: 0,
    topics: ["t"],
    userData: Buffer.alloc(0),
  });
  assert.deepEqual(decodeWish({ memberId: "m", memberMetadata: metadata }), {
    memberId: "m",
    topics: ["t"],
    partition: null,
  });
});

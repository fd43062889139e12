/**
 * The consumer-group partition assigner of every Kafka source. kafkajs has no
 * `assign()`, so a source that reads one fixed partition still joins its
 * group, and announces the partition it wants in its member metadata; the
 * group leader (whichever member it is) then gives each such member exactly
 * that partition and shares the remaining partitions round-robin among the
 * members that read the whole topic.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type Assigner,
  AssignerProtocol,
  type GroupMember,
  type GroupMemberAssignment,
  type PartitionAssigner,
} from "kafkajs";

/** Protocol name announced to the group coordinator. */
export const FS_ASSIGNER_NAME = "FsPartitionAssigner";
const VERSION = 1;

/** What one group member reads. */
export interface MemberWish {
  /** Member id given by the coordinator. */
  memberId: string;
  /** Topics the member subscribed to. */
  topics: string[];
  /** The one partition it reads of each of its topics, or null for a share. */
  partition: number | null;
}

/** Partitions per topic, per member id. */
export type AssignmentPlan = Map<string, Record<string, number[]>>;

/** Reads a member's wish from its group metadata. */
export function decodeWish(member: GroupMember): MemberWish {
  const metadata = AssignerProtocol.MemberMetadata.decode(
    member.memberMetadata,
  );
  let partition: number | null = null;
  try {
    const data = JSON.parse(metadata?.userData?.toString("utf8") || "{}");
    if (Number.isInteger(data.partition) && data.partition >= 0) {
      partition = data.partition;
    }
  } catch {
    // A member without our user data reads a share, like a plain subscriber.
  }
  return {
    memberId: member.memberId,
    topics: metadata?.topics ?? [],
    partition,
  };
}

/**
 * Plans the assignment: fixed-partition members get their partition when it
 * exists (two members asking for the same one both get it, as two Kafka
 * `assign()` consumers would); every other partition goes round-robin to the
 * members that read a share, in member-id order.
 */
export function planAssignment(
  wishes: MemberWish[],
  partitionsOf: (topic: string) => number[],
): AssignmentPlan {
  const plan: AssignmentPlan = new Map();
  const sorted = [...wishes].sort((a, b) =>
    a.memberId.localeCompare(b.memberId)
  );
  for (const wish of sorted) plan.set(wish.memberId, {});
  const give = (memberId: string, topic: string, partition: number) => {
    const topics = plan.get(memberId)!;
    (topics[topic] ??= []).push(partition);
  };
  const topics = [...new Set(sorted.flatMap((w) => w.topics))].sort();
  for (const topic of topics) {
    const existing = [...new Set(partitionsOf(topic))].sort((a, b) => a - b);
    const readers = sorted.filter((w) => w.topics.includes(topic));
    const claimed = new Set<number>();
    for (const wish of readers) {
      if (wish.partition !== null && existing.includes(wish.partition)) {
        give(wish.memberId, topic, wish.partition);
        claimed.add(wish.partition);
      }
    }
    const sharers = readers.filter((w) => w.partition === null);
    if (sharers.length === 0) continue;
    existing.filter((p) => !claimed.has(p)).forEach((p, i) => {
      give(sharers[i % sharers.length].memberId, topic, p);
    });
  }
  return plan;
}

/**
 * Returns the kafkajs `partitionAssigners` entry for a source that reads
 * `partition` of each subscribed topic, or a share of them when null.
 */
export function fsPartitionAssigner(
  partition: number | null,
): PartitionAssigner {
  return ({ cluster }) => {
    const assigner: Assigner = {
      name: FS_ASSIGNER_NAME,
      version: VERSION,
      async assign({ members }): Promise<GroupMemberAssignment[]> {
        const wishes = members.map(decodeWish);
        // The leader only has metadata for its own topics; members of the
        // same group may read others.
        await cluster.addMultipleTargetTopics([
          ...new Set(wishes.flatMap((w) => w.topics)),
        ]);
        const plan = planAssignment(
          wishes,
          (topic) =>
            cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId),
        );
        return [...plan].map(([memberId, assignment]) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: VERSION,
            assignment,
            userData: Buffer.alloc(0),
          }),
        }));
      },
      protocol({ topics }) {
        return {
          name: FS_ASSIGNER_NAME,
          metadata: AssignerProtocol.MemberMetadata.encode({
            version: VERSION,
            topics,
            userData: Buffer.from(JSON.stringify({ partition }), "utf8"),
          }),
        };
      },
    };
    return assigner;
  };
}

/**
 * The keyed counting operator of the checkpoint fault tests and the recovery
 * benchmark: its Python source, its task config, a deterministic keyed input
 * and a producer that writes it fast. What one failure-free run outputs is
 * fully determined by the input: for every key, "key:1" ... "key:n" in order.
 * @module
 */
import { Buffer } from "node:buffer";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { kafkaLogCreator } from "../../runtime/connectors/kafka/mod.ts";
import { kafkaBootstrap } from "./kafka.ts";

/** The operator's class name. */
export const COUNTER_CLASS = "KeyedCounter";

/** The control record that makes the operator emit its whole state. */
export const DUMP_RECORD = "!dump";

/**
 * Counts records per key in state and emits "key:count" for each. The
 * record `!dump` emits "dump:" + JSON of every key's stored count, how many
 * records it counted in memory (`seen`, carried across restarts only by
 * take_checkpoint/restore_checkpoint) and the checkpoint ids it was
 * restored from since it started.
 */
export const COUNTER_SOURCE = `import json
from fs_api import FSProcessorDriver


class KeyedCounter(FSProcessorDriver):
    def init(self, ctx, config):
        self.store = ctx.getOrCreateKVStore("counts")
        self.seen = 0
        self.restored = []

    def process(self, ctx, source_id, data):
        if data == b"${DUMP_RECORD}":
            counts = {}
            for key in self.store.list_states(b"", b"\\xff"):
                counts[key.decode()] = int(self.store.get_state(key))
            dump = {"counts": counts, "seen": self.seen, "restored": self.restored}
            ctx.emit(b"dump:" + json.dumps(dump).encode(), 0)
            return
        count = int(self.store.get_state(data) or 0) + 1
        self.store.put_state(data, str(count).encode())
        self.seen += 1
        ctx.emit(data + b":" + str(count).encode(), 0)

    def take_checkpoint(self, ctx, checkpoint_id):
        return json.dumps({"id": checkpoint_id, "seen": self.seen}).encode()

    def restore_checkpoint(self, ctx, checkpoint_id, data):
        saved = json.loads(data.decode())
        if saved["id"] != checkpoint_id:
            raise ValueError(
                f"restore_checkpoint got data of checkpoint {saved['id']} for {checkpoint_id}"
            )
        self.seen = saved["seen"]
        self.restored.append(checkpoint_id)
`;

/** What the operator's dump record says. */
export interface CounterDump {
  /** Every key in state with its stored count. */
  counts: Record<string, number>;
  /** Records counted in memory (restored through the checkpoint hook). */
  seen: number;
  /** Checkpoint ids passed to restore_checkpoint since the worker started. */
  restored: number[];
}

/** A deterministic keyed input. */
export interface KeyedInput {
  /** Key of each record, in production order. */
  keys: string[];
  /** Partition of each record (the key's index modulo the partitions). */
  partitions: number[];
  /** How many records each key has: what its final count must be. */
  expected: Map<string, number>;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same numbers. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `records` records over `keys` keys ("k0000", ...), the key of each drawn
 * from a seeded PRNG (so keys get different counts), partitioned by key.
 */
export function keyedInput(
  records: number,
  options: { keys: number; partitions: number; seed?: number },
): KeyedInput {
  const random = seededRandom(options.seed ?? 1);
  const width = String(options.keys - 1).length;
  const names = Array.from(
    { length: options.keys },
    (_, i) => `k${String(i).padStart(width, "0")}`,
  );
  const keys: string[] = [];
  const partitions: number[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < records; i++) {
    const index = Math.floor(random() * options.keys);
    keys.push(names[index]);
    partitions.push(index % options.partitions);
    expected.set(names[index], (expected.get(names[index]) ?? 0) + 1);
  }
  return { keys, partitions, expected };
}

/**
 * Part `index` of the input cut in `count` equal parts, in order. Crash
 * tests produce one part per crash, so processing can never finish the
 * stream before the last crash however fast it gets.
 */
export function inputSlice(
  input: Pick<KeyedInput, "keys" | "partitions">,
  part: { index: number; count: number },
): Pick<KeyedInput, "keys" | "partitions"> {
  const size = Math.ceil(input.keys.length / part.count);
  const from = part.index * size;
  return {
    keys: input.keys.slice(from, from + size),
    partitions: input.partitions.slice(from, from + size),
  };
}

/**
 * Writes the input (key and value are the key name) with one idempotent
 * producer, in batches, waiting for every ack.
 */
export async function produceKeyed(
  topic: string,
  input: Pick<KeyedInput, "keys" | "partitions">,
  options: { batch?: number } = {},
): Promise<void> {
  const kafka = new Kafka({
    brokers: [kafkaBootstrap()],
    clientId: "fs-test-keyed",
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(),
  });
  const producer = kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const batch = options.batch ?? 5_000;
    for (let at = 0; at < input.keys.length; at += batch) {
      const keys = input.keys.slice(at, at + batch);
      await producer.send({
        topic,
        acks: -1,
        messages: keys.map((key, i) => ({
          key: Buffer.from(key),
          value: Buffer.from(key),
          partition: input.partitions[at + i],
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Writes one record to a partition (the dump record, say). */
export async function produceOne(
  topic: string,
  value: string,
  partition = 0,
): Promise<void> {
  await produceKeyed(topic, { keys: [value], partitions: [partition] });
}

/** What {@link counterTaskYaml} writes. */
export interface CounterTaskSpec {
  /** Function name. */
  name: string;
  /** Input topic: read whole, through the consumer group `<name>-g`. */
  input: string;
  /** Output topic (partition 0, so the output order is one sequence). */
  output: string;
  /** `checkpoint_guarantee`. */
  guarantee: "exactly_once" | "at_least_once";
  /**
   * `checkpoint_interval_seconds`.
   * @default 1
   */
  intervalSeconds?: number;
  /**
   * The input's `session.timeout.ms`; null leaves the server's default.
   * @default 6000
   */
  sessionTimeoutMs?: number | null;
}

/**
 * The counter's task config (JSON is valid YAML). The consumer group's
 * session timeout is the broker's least (6 s), so a killed server's members
 * leave the group quickly; the restart policy allows many quick restarts.
 */
export function counterTaskYaml(spec: CounterTaskSpec): string {
  const servers = kafkaBootstrap();
  const sessionMs = spec.sessionTimeoutMs === undefined
    ? 6000
    : spec.sessionTimeoutMs;
  const session = sessionMs === null ? {} : {
    "session.timeout.ms": String(sessionMs),
    "heartbeat.interval.ms": String(Math.min(1000, Math.floor(sessionMs / 3))),
  };
  return JSON.stringify({
    name: spec.name,
    type: "python",
    enable_checkpoint: true,
    checkpoint_interval_seconds: spec.intervalSeconds ?? 1,
    checkpoint_guarantee: spec.guarantee,
    checkpoints_retained: 3,
    max_restarts: 100,
    restart_backoff_seconds: 0.1,
    restart_backoff_max_seconds: 0.5,
    "input-groups": [{
      inputs: [{
        "input-type": "kafka",
        bootstrap_servers: servers,
        topic: spec.input,
        group_id: `${spec.name}-g`,
        "auto.offset.reset": "earliest",
        ...session,
      }],
    }],
    outputs: [{
      "output-type": "kafka",
      bootstrap_servers: servers,
      topic: spec.output,
      partition: 0,
    }],
  });
}

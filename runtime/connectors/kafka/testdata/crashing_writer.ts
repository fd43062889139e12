/**
 * A writer process for the crash test in transactional_writer_fencing_test.ts:
 * `deno run -A crashing_writer.ts <bootstrap> <topic> <transactionalId>`
 * commits "committed-0..4" with token "before-crash", sends "open-0..4" in a
 * new transaction, prints "sent" and waits to be killed.
 * @module
 */
import { KafkaTransactionalWriter } from "../transactional_writer.ts";

const [bootstrap, topic, transactionalId] = Deno.args;
const writer = new KafkaTransactionalWriter(
  [{
    bootstrapServers: [bootstrap],
    topic,
    partition: null,
    clientSettings: {},
  }],
  { transactionalId, clientId: "fs-test-crash", logger: () => {} },
);
const encode = (s: string) => new TextEncoder().encode(s);
const batch = (prefix: string) =>
  Array.from({ length: 5 }, (_, i) => ({
    channel: 0,
    key: encode(`k${i}`),
    value: encode(`${prefix}-${i}`),
  }));
await writer.open();
await writer.send(batch("committed"));
await writer.commit("before-crash");
await writer.send(batch("open"));
console.log("sent");
// Never commits or closes: the parent kills this process with SIGKILL.
setInterval(() => {}, 1_000);

/**
 * Fuzz: thousands of random and mutated requests to every RPC of the real
 * server (seeded; replay with FS_FUZZ_SEED=<n>), while a function registered
 * before keeps its state. Afterwards the server is up, that function is
 * still RUNNING and its count continues exactly, and only requests the
 * server accepted left functions behind.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { StatusCode } from "../api/mod.ts";
import {
  consumeAll,
  createTopic,
  kafkaBootstrap,
  produce,
  uniqueTopic,
} from "./helpers/kafka.ts";
import {
  type AnyReply,
  COUNTER_SOURCE,
  counterRequest,
  range,
  RPC_NAMES,
  RpcClient,
  type RpcName,
  spawnServer,
  taskYaml,
  totalsOf,
} from "./helpers/hardening.ts";
import {
  invalidUtf8,
  mutateText,
  protoField,
  randomConfig,
  randomModules,
  randomSql,
  randomString,
  Rng,
} from "./helpers/fuzz_inputs.ts";

const SEED = Number(Deno.env.get("FS_FUZZ_SEED") ?? 20261125);
const TARGET_REQUESTS = 4_000;
const BUDGET_MS = 40_000;
const CONCURRENCY = 8;
/** Uploads that pass validation start a worker; keep those few. */
const MAX_DEEP_CREATES = 40;
const MAX_VALID_CREATES = 4;
const BEFORE = 20;
const AFTER = 15;

const VALID_STATUS = new Set<number>(Object.values(StatusCode));

/** Which replies each kind of request may get. */
const ALLOWED: Record<string, number[]> = {
  ExecuteSql: [200, 400, 404],
  CreateFunction: [501],
  CreatePythonFunction: [201, 400, 409],
  DropFunction: [200, 400, 404],
  ShowFunctions: [200, 400],
  StartFunction: [200, 400, 404],
  StopFunction: [200, 400, 404],
  TriggerCheckpoint: [400, 404, 409],
  ListCheckpoints: [200, 400, 404],
  RestoreCheckpoint: [400, 404, 409],
};

interface Planned {
  rpc: RpcName;
  /** A short description for failure messages. */
  what: string;
  send(client: RpcClient): Promise<AnyReply>;
  /** Statuses this request may get, when narrower than {@link ALLOWED}. */
  only?: number[];
  /** A gRPC error code that is the expected outcome (garbage, oversize). */
  grpcError?: grpc.status;
  /** Name registered if the server accepts the request. */
  creates?: string;
}

Deno.test({
  name:
    "fuzzing every RPC leaves the server up and a running function's state intact",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rng = new Rng(SEED);
    const bootstrap = kafkaBootstrap();
    const guardedIn = uniqueTopic("fuzz-guarded-in");
    const guardedOut = uniqueTopic("fuzz-guarded-out");
    const fuzzIn = uniqueTopic("fuzz-in");
    const fuzzOut = uniqueTopic("fuzz-out");
    for (const topic of [guardedIn, guardedOut, fuzzIn, fuzzOut]) {
      await createTopic(topic);
    }
    const guarded = `guarded-${crypto.randomUUID().slice(0, 8)}`;
    const isGuarded = (text: string) =>
      text.toLowerCase().includes(guarded.toLowerCase());
    const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-fuzz-" });
    const server = await spawnServer({ dataDir });
    const client = new RpcClient(server.port, {});
    try {
      const created = await client.call(
        "CreatePythonFunction",
        counterRequest(taskYaml({
          name: guarded,
          bootstrap,
          input: guardedIn,
          output: guardedOut,
          initConfig: { metric_name: "guarded" },
        })),
      );
      assert.equal(created.status_code, 201, created.message);
      await client.waitForStatus(guarded, "RUNNING");
      await produce(guardedIn, range(1, BEFORE).map(() => ({ value: "{}" })));
      const first = await consumeAll(guardedOut, {
        count: BEFORE,
        timeoutMs: 60_000,
      });
      assert.deepEqual(totalsOf(first), range(1, BEFORE));

      const base = taskYaml({
        name: "fz-base",
        bootstrap,
        input: fuzzIn,
        output: fuzzOut,
      });
      const accepted = new Set<string>();
      const knownNames: string[] = [];
      let deepCreates = 0;
      let validCreates = 0;
      let serial = 0;

      const someName = (): string => {
        for (;;) {
          const name = knownNames.length > 0 && rng.chance(0.3)
            ? (rng.chance(0.5)
              ? rng.pick(knownNames)
              : mutateText(rng, rng.pick(knownNames)))
            : randomString(rng);
          if (!isGuarded(name)) return name;
        }
      };

      const plan = (): Planned => {
        const roll = rng.int(100);
        if (roll < 3) {
          const method = rng.pick(RPC_NAMES);
          const bytes = rng.bytes(rng.int(300));
          return {
            rpc: method,
            what: `raw ${bytes.length} bytes`,
            send: (c) => c.raw(method, bytes),
            grpcError: grpc.status.INTERNAL,
          };
        }
        if (roll < 8) {
          // Well-formed protobuf whose string fields are not UTF-8.
          const method = rng.pick(
            RPC_NAMES.filter((m) =>
              m !== "CreateFunction" && m !== "DropFunction" &&
              m !== "StopFunction"
            ),
          );
          const bytes = method === "CreatePythonFunction"
            ? new Uint8Array([
              ...protoField(1, invalidUtf8(rng)),
              ...protoField(3, invalidUtf8(rng)),
            ])
            : protoField(1, invalidUtf8(rng));
          return {
            rpc: method,
            what: "invalid UTF-8 strings",
            send: (c) => c.raw(method, bytes),
          };
        }
        if (roll < 23) {
          const sql = randomSql(rng, someName);
          if (isGuarded(sql)) return plan();
          return {
            rpc: "ExecuteSql",
            what: `sql ${JSON.stringify(sql.slice(0, 60))}`,
            send: (c) => c.call("ExecuteSql", { sql }),
          };
        }
        if (roll < 28) {
          const config = rng.bytes(rng.int(500));
          return {
            rpc: "CreateFunction",
            what: "wasm",
            send: (c) =>
              c.call("CreateFunction", {
                config_bytes: config,
                function_bytes: rng.bytes(rng.int(500)),
              }),
          };
        }
        if (roll < 38) {
          const filter = rng.chance(0.2) ? undefined : randomString(rng);
          return {
            rpc: "ShowFunctions",
            what: `filter ${JSON.stringify(filter?.slice(0, 60))}`,
            send: (c) =>
              c.call("ShowFunctions", filter === undefined ? {} : { filter }),
          };
        }
        if (roll < 55) {
          const rpc = rng.pick(
            [
              "StartFunction",
              "StopFunction",
              "DropFunction",
              "TriggerCheckpoint",
              "ListCheckpoints",
              "RestoreCheckpoint",
            ] as const,
          );
          const name = someName();
          // Ids: small, the int64 maximum, negative.
          const id = rng.pick(["0", "1", "9223372036854775807", "-3"]);
          const request = rpc === "RestoreCheckpoint"
            ? { function_name: name, checkpoint_id: id }
            : { function_name: name };
          return {
            rpc,
            what: `${rpc} ${JSON.stringify(name.slice(0, 60))}`,
            send: (c) => c.call(rpc, request),
          };
        }
        // CreatePythonFunction.
        if (validCreates < MAX_VALID_CREATES && rng.chance(0.01)) {
          validCreates++;
          const name = `fz3-${serial++}`;
          knownNames.push(name);
          const yaml = base.replace("name: fz-base", `name: ${name}`);
          return {
            rpc: "CreatePythonFunction",
            what: `valid create ${name}`,
            send: (c) => c.call("CreatePythonFunction", counterRequest(yaml)),
            only: [201],
            creates: name,
          };
        }
        if (deepCreates < MAX_DEEP_CREATES && rng.chance(0.06)) {
          // Valid config, fuzzed upload: reaches the module checks and may
          // start a worker that fails to import.
          deepCreates++;
          const name = `fz2-${serial++}`;
          knownNames.push(name);
          const modules = randomModules(rng);
          if (rng.chance(0.3)) {
            modules.push({
              module_name: "counter_job",
              module_bytes: new TextEncoder().encode(COUNTER_SOURCE),
            });
          }
          const className = rng.pick(["Counter", "Job", randomString(rng)]);
          return {
            rpc: "CreatePythonFunction",
            what: `deep create ${name} class ${
              JSON.stringify(className.slice(0, 30))
            } modules ${
              JSON.stringify(modules.map((m) => m.module_name.slice(0, 30)))
            }`,
            send: (c) =>
              c.call("CreatePythonFunction", {
                class_name: className,
                modules,
                config_content: base.replace("name: fz-base", `name: ${name}`),
              }),
            creates: name,
          };
        }
        // Fuzzed config with an upload that can never pass (class name).
        const config = randomConfig(rng, base);
        const modules = rng.chance(0.5) ? randomModules(rng) : [{
          module_name: "job",
          module_bytes: new TextEncoder().encode("x = 1\n"),
        }];
        return {
          rpc: "CreatePythonFunction",
          what: `config ${JSON.stringify(config.slice(0, 80))}`,
          send: (c) =>
            c.call("CreatePythonFunction", {
              class_name: rng.pick(["not valid!", "", "9Job", "a.b"]),
              modules,
              config_content: config,
            }),
          only: [400],
        };
      };

      const failures: string[] = [];
      const counts: Record<string, number> = {};
      let sent = 0;
      const started = Date.now();
      const worker = async () => {
        while (sent < TARGET_REQUESTS && Date.now() - started < BUDGET_MS) {
          sent++;
          const request = plan();
          counts[request.rpc] = (counts[request.rpc] ?? 0) + 1;
          try {
            const reply = await request.send(client);
            const allowed = request.only ?? ALLOWED[request.rpc];
            if (
              !VALID_STATUS.has(reply.status_code) ||
              !allowed.includes(reply.status_code) ||
              typeof reply.message !== "string"
            ) {
              failures.push(
                `${request.what} -> ${reply.status_code} ${
                  reply.message.slice(0, 300)
                }`,
              );
            }
            if (request.rpc === "ShowFunctions" && reply.status_code === 200) {
              assert.ok(Array.isArray(reply.functions));
            }
            if (Deno.env.get("FS_FUZZ_DEBUG") && request.creates) {
              console.log(
                request.what,
                reply.status_code,
                reply.message.slice(0, 300),
              );
            }
            if (request.creates && reply.status_code === 201) {
              accepted.add(request.creates);
            }
          } catch (error) {
            const code = (error as grpc.ServiceError).code;
            if (request.grpcError === undefined || code !== request.grpcError) {
              failures.push(
                `${request.what} -> gRPC ${code} ${(error as Error).message}`,
              );
            }
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const elapsed = Date.now() - started;

      // Deliberately oversize: refused by grpc-js before any handler runs.
      const huge = new Uint8Array(64 * 1024 * 1024 + 64);
      await assert.rejects(
        client.raw("ExecuteSql", protoField(1, huge)),
        (error: grpc.ServiceError) =>
          error.code === grpc.status.RESOURCE_EXHAUSTED,
      );

      const summary = `seed ${SEED}, ${sent} requests in ${elapsed} ms, ${
        JSON.stringify(counts)
      }, ${deepCreates} deep creates, ${accepted.size} accepted`;
      console.log(summary);
      assert.deepEqual(failures, [], summary);
      assert.ok(sent >= 2_000, `only ${summary}`);
      assert.ok(server.alive(), server.output());

      const after = await client.list();
      assert.equal(
        after.find((f) => f.name === guarded)?.status,
        "RUNNING",
        JSON.stringify(after),
      );
      const strangers = after
        .map((f) => f.name)
        .filter((name) => name !== guarded && !accepted.has(name));
      assert.deepEqual(strangers, [], "functions nobody was told were created");

      await produce(
        guardedIn,
        range(1, AFTER).map(() => ({ value: "{}" })),
      );
      const all = await consumeAll(guardedOut, {
        count: BEFORE + AFTER,
        timeoutMs: 60_000,
      });
      assert.deepEqual(totalsOf(all), range(1, BEFORE + AFTER));
      assert.doesNotMatch(server.output(), /Unexpected error/);
    } finally {
      client.close();
      assert.equal(await server.stop(), 0, server.output().slice(-4000));
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

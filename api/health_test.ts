import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckResponse,
  HealthService,
  loadHealthProto,
  ServingStatus,
} from "./health.ts";
import { SERVICE_NAME } from "./proto.ts";

const HealthClient = grpc.makeGenericClientConstructor(
  loadHealthProto(),
  "Health",
);

type Client = InstanceType<typeof HealthClient> & {
  Check(
    request: { service: string },
    callback: (
      error: grpc.ServiceError | null,
      reply?: HealthCheckResponse,
    ) => void,
  ): void;
  Watch(
    request: { service: string },
  ): grpc.ClientReadableStream<HealthCheckResponse>;
};

async function withServer(
  health: HealthService,
  body: (client: Client) => Promise<void>,
): Promise<void> {
  const server = new grpc.Server();
  health.addTo(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => (error ? reject(error) : resolve(port)),
    )
  );
  const client = new HealthClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as Client;
  try {
    await body(client);
  } finally {
    client.close();
    health.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
}

function check(client: Client, service: string): Promise<number> {
  return new Promise((resolve, reject) =>
    client.Check(
      { service },
      (error, reply) => error ? reject(error) : resolve(reply!.status),
    )
  );
}

/** Collects the statuses a Watch call streams until it ends or `count` arrive. */
function watch(client: Client, service: string) {
  const call = client.Watch({ service });
  const seen: number[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  call.on("data", (reply: HealthCheckResponse) => {
    seen.push(reply.status);
    for (const wake of waiters.splice(0)) wake();
  });
  const end = new Promise<void>((resolve) => {
    const done = () => {
      ended = true;
      for (const wake of waiters.splice(0)) wake();
      resolve();
    };
    call.on("end", done);
    call.on("error", done);
  });
  return {
    call,
    seen,
    end,
    async next(count: number): Promise<number[]> {
      while (seen.length < count && !ended) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return seen.slice(0, count);
    },
  };
}

Deno.test("Health.Check answers NOT_SERVING until the server is set SERVING", async () => {
  const health = new HealthService();
  await withServer(health, async (client) => {
    assert.equal(await check(client, ""), ServingStatus.NOT_SERVING);
    assert.equal(await check(client, SERVICE_NAME), ServingStatus.NOT_SERVING);
    health.setAll(ServingStatus.SERVING);
    assert.equal(await check(client, ""), ServingStatus.SERVING);
    assert.equal(await check(client, SERVICE_NAME), ServingStatus.SERVING);
  });
});

Deno.test("Health.Check fails with NOT_FOUND for a service the server does not know", async () => {
  await withServer(new HealthService(), async (client) => {
    await assert.rejects(check(client, "no.such.Service"), (error: unknown) => {
      const e = error as grpc.ServiceError;
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.match(e.details, /does not know it/);
      return true;
    });
  });
});

Deno.test("Health.Watch sends the current status at once, then every change", async () => {
  const health = new HealthService();
  await withServer(health, async (client) => {
    const w = watch(client, "");
    assert.deepEqual(await w.next(1), [ServingStatus.NOT_SERVING]);
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("", ServingStatus.SERVING); // unchanged: not sent again
    health.setStatus("", ServingStatus.NOT_SERVING);
    assert.deepEqual(await w.next(3), [
      ServingStatus.NOT_SERVING,
      ServingStatus.SERVING,
      ServingStatus.NOT_SERVING,
    ]);
    w.call.cancel();
    await w.end;
  });
});

Deno.test("Health.Watch reports SERVICE_UNKNOWN and keeps the call open until the service is known", async () => {
  const health = new HealthService();
  await withServer(health, async (client) => {
    const w = watch(client, "later.Service");
    assert.deepEqual(await w.next(1), [ServingStatus.SERVICE_UNKNOWN]);
    health.setStatus("later.Service", ServingStatus.SERVING);
    assert.deepEqual(await w.next(2), [
      ServingStatus.SERVICE_UNKNOWN,
      ServingStatus.SERVING,
    ]);
    w.call.cancel();
    await w.end;
  });
});

Deno.test("HealthService.close() tells watchers NOT_SERVING, ends their calls and ignores later changes", async () => {
  const health = new HealthService();
  health.setAll(ServingStatus.SERVING);
  await withServer(health, async (client) => {
    const w = watch(client, SERVICE_NAME);
    assert.deepEqual(await w.next(1), [ServingStatus.SERVING]);
    health.close();
    await w.end;
    assert.deepEqual(w.seen, [
      ServingStatus.SERVING,
      ServingStatus.NOT_SERVING,
    ]);
    health.setAll(ServingStatus.SERVING);
    assert.equal(await check(client, ""), ServingStatus.NOT_SERVING);
  });
});

Deno.test("HealthService.setStatus() refuses SERVICE_UNKNOWN", () => {
  assert.throws(
    () => new HealthService().setStatus("", ServingStatus.SERVICE_UNKNOWN),
    /Cannot set the health of '' to SERVICE_UNKNOWN/,
  );
});

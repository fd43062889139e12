import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { type Logger, silentLogger } from "../runtime/core/mod.ts";
import { createFakeControl, taskYaml } from "./_fake_control.ts";
import { createFunctionStreamService } from "./function_stream_service.ts";
import { loadFunctionStreamProto } from "./proto.ts";
import { type GrpcServerHandle, serveGrpc } from "./server.ts";
import { makeCertificate } from "../tests/helpers/hardening.ts";

const TOKEN = "unit-test-token-0123456789abcdef";

type Reply = {
  status_code: number;
  message: string;
  functions?: { name: string }[];
};

function call(
  client: grpc.Client,
  method: string,
  request: object,
  options: { token?: string; deadlineMs?: number } = {},
): Promise<Reply> {
  const metadata = new grpc.Metadata();
  if (options.token !== undefined) {
    metadata.set("authorization", `Bearer ${options.token}`);
  }
  const callOptions: grpc.CallOptions = options.deadlineMs === undefined
    ? {}
    : { deadline: Date.now() + options.deadlineMs };
  const fn = (client as unknown as Record<string, unknown>)[method] as (
    request: object,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: Reply) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    fn.call(
      client,
      request,
      metadata,
      callOptions,
      (error, reply) => error ? reject(error) : resolve(reply!),
    );
  });
}

async function withServer(
  options: Parameters<typeof serveGrpc>[1],
  test: (handle: GrpcServerHandle) => Promise<void>,
): Promise<void> {
  const handle = await serveGrpc(createFakeControl(), {
    port: 0,
    logger: silentLogger,
    ...options,
  });
  try {
    await test(handle);
  } finally {
    await handle.close();
  }
}

Deno.test("serveGrpc() with tls and authToken answers 401 replies without the token and serves with it", async () => {
  const { dir, certFile: cert, keyFile: key } = await makeCertificate();
  try {
    await withServer(
      { tls: { certFile: cert, keyFile: key }, authToken: TOKEN },
      async (handle) => {
        const { Client } = loadFunctionStreamProto();
        const credentials = grpc.credentials.createSsl(
          Buffer.from(await Deno.readFile(cert)),
        );
        // Deno's node:tls refuses an IP address as SNI name; name the
        // certificate's DNS entry instead.
        const client = new Client(handle.address, credentials, {
          "grpc.ssl_target_name_override": "localhost",
        });
        try {
          const missing = await call(client, "ShowFunctions", {});
          assert.equal(missing.status_code, 401);
          assert.match(missing.message, /carries no 'authorization' metadata/);
          assert.deepEqual(missing.functions, []);
          const wrong = await call(client, "CreatePythonFunction", {
            class_name: "P",
            modules: [{ module_name: "m", module_bytes: new Uint8Array() }],
            config_content: taskYaml("sneaky"),
          }, { token: `${TOKEN}x` });
          assert.equal(wrong.status_code, 401);
          assert.match(wrong.message, /bearer token is wrong/);
          const ok = await call(client, "CreatePythonFunction", {
            class_name: "P",
            modules: [{
              module_name: "m",
              module_bytes: new TextEncoder().encode("x = 1\n"),
            }],
            config_content: taskYaml("allowed"),
          }, { token: TOKEN });
          assert.equal(ok.status_code, 201, ok.message);
          const list = await call(client, "ShowFunctions", {}, {
            token: TOKEN,
          });
          assert.deepEqual(list.functions!.map((f) => f.name), ["allowed"]);
        } finally {
          client.close();
        }
        const plain = new Client(
          handle.address,
          grpc.credentials.createInsecure(),
        );
        try {
          await assert.rejects(
            call(plain, "ShowFunctions", {}, {
              token: TOKEN,
              deadlineMs: 3000,
            }),
            (error: grpc.ServiceError) =>
              error.code === grpc.status.UNAVAILABLE,
          );
        } finally {
          plain.close();
        }
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveGrpc() with tls serves only its own certificate", async () => {
  const { dir, certFile: cert, keyFile: key } = await makeCertificate();
  try {
    await withServer({ tls: { certFile: cert, keyFile: key } }, async (h) => {
      const out = await new Deno.Command("openssl", {
        args: [
          "s_client",
          "-connect",
          `127.0.0.1:${h.port}`,
          "-alpn",
          "h2",
          "-CAfile",
          cert,
          "-showcerts",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.match(text, /Verify return code: 0 \(ok\)/);
      assert.equal(text.match(/BEGIN CERTIFICATE/g)?.length, 1);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveGrpc() refuses unreadable or non-PEM TLS files, and a weak token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fs-tls-bad-" });
  try {
    await Deno.writeTextFile(`${dir}/junk.pem`, "not a certificate");
    const control = createFakeControl();
    await assert.rejects(
      serveGrpc(control, {
        port: 0,
        tls: { certFile: `${dir}/absent.pem`, keyFile: `${dir}/junk.pem` },
      }),
      /Cannot read the TLS certificate as the file cannot be read: current value is ".*absent\.pem"/,
    );
    await assert.rejects(
      serveGrpc(control, {
        port: 0,
        tls: { certFile: `${dir}/junk.pem`, keyFile: `${dir}/junk.pem` },
      }),
      /Cannot use the TLS certificate as the file is not PEM/,
    );
    await assert.rejects(
      serveGrpc(control, { port: 0, authToken: "short" }),
      /auth token as it is shorter than 16 characters/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveGrpc() warns when it listens beyond loopback without token or TLS", async () => {
  const lines: string[] = [];
  const logger: Logger = { log: (_level, message) => lines.push(message) };
  const handle = await serveGrpc(createFakeControl(), {
    host: "0.0.0.0",
    port: 0,
    logger,
  });
  await handle.close();
  assert.ok(lines.some((l) => /without authentication/.test(l)), lines.join());
  assert.ok(lines.some((l) => /is plaintext/.test(l)), lines.join());
  lines.length = 0;
  const local = await serveGrpc(createFakeControl(), { port: 0, logger });
  await local.close();
  assert.deepEqual(lines, []);
});

Deno.test("a call whose deadline passes gets DEADLINE_EXCEEDED; the change that began still completes and is logged", async () => {
  const control = createFakeControl();
  await control.createPythonFunction({
    className: "P",
    modules: [],
    configYaml: taskYaml("slow"),
  });
  const gate = Promise.withResolvers<void>();
  const stop = control.stopFunction.bind(control);
  let stopCalls = 0;
  control.stopFunction = async (name) => {
    stopCalls++;
    await gate.promise;
    return stop(name);
  };
  const lines: string[] = [];
  const handle = await serveGrpc(control, {
    port: 0,
    logger: { log: (_level, message) => lines.push(message) },
  });
  const { Client } = loadFunctionStreamProto();
  const client = new Client(handle.address, grpc.credentials.createInsecure());
  try {
    await assert.rejects(
      call(client, "StopFunction", { function_name: "slow" }, {
        deadlineMs: 200,
      }),
      (error: grpc.ServiceError) =>
        error.code === grpc.status.DEADLINE_EXCEEDED,
    );
    gate.resolve();
    for (let i = 0; i < 50 && lines.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(stopCalls, 1);
    assert.equal(control.functions.get("slow")!.info.status, "STOPPED");
    assert.match(
      lines.join("\n"),
      /StopFunction finished after its caller cancelled .* 200 Function 'slow' stopped/,
    );
    const list = await call(client, "ShowFunctions", {});
    assert.equal(list.status_code, 200);
  } finally {
    client.close();
    await handle.close();
  }
});

Deno.test("a handler whose deadline has already passed changes nothing", async () => {
  const control = createFakeControl();
  const handlers = createFunctionStreamService(control, {
    logger: silentLogger,
  });
  const reply = await new Promise<Reply>((resolve) => {
    const fakeCall = {
      request: {
        class_name: "P",
        modules: [{
          module_name: "m",
          module_bytes: new TextEncoder().encode("x = 1\n"),
        }],
        config_content: taskYaml("late"),
      },
      metadata: new grpc.Metadata(),
      cancelled: false,
      getDeadline: () => Date.now() - 1,
    };
    handlers.CreatePythonFunction(
      fakeCall as unknown as Parameters<
        typeof handlers.CreatePythonFunction
      >[0],
      (_error, response) => resolve(response as Reply),
    );
  });
  assert.equal(reply.status_code, 503);
  assert.match(
    reply.message,
    /Cannot create function 'late' as the caller cancelled the call .* nothing was changed/,
  );
  assert.equal(control.functions.size, 0);
});

import assert from "node:assert/strict";
import { FsError, type LogLevel } from "../runtime/core/mod.ts";
import { MetricsRegistry } from "../runtime/metrics/mod.ts";
import {
  handleMetricsRequest,
  type MetricsSource,
  parseMetricsPort,
  serveMetrics,
} from "./metrics_http.ts";

const fixed: MetricsSource = {
  contentType: "text/plain; version=0.0.4; charset=utf-8",
  render: () => Promise.resolve("fs_up 1\n"),
};

Deno.test("serveMetrics() serves the registry's text at /metrics on a free port", async () => {
  const metrics = new MetricsRegistry({ processMetrics: false });
  metrics.functionStarted("etl", () => []);
  metrics.batchProcessed("etl", {
    recordsIn: 3,
    recordsOut: 2,
    seconds: 0.01,
    mutations: [],
  });
  const server = serveMetrics(metrics, { host: "127.0.0.1", port: 0 });
  try {
    assert.notEqual(server.port, 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.match(
      response.headers.get("content-type")!,
      /^text\/plain; version=0\.0\.4/,
    );
    const text = await response.text();
    assert.match(text, /^fs_function_records_in_total\{function="etl"\} 3$/m);
    assert.match(text, /^fs_function_records_out_total\{function="etl"\} 2$/m);
  } finally {
    await server.close();
  }
});

Deno.test("handleMetricsRequest() answers 404 off /metrics, 405 to POST and no body to HEAD", async () => {
  const base = "http://127.0.0.1:1";
  const notFound = await handleMetricsRequest(new Request(`${base}/`), {
    source: fixed,
  });
  assert.equal(notFound.status, 404);
  assert.match(await notFound.text(), /served at \/metrics/);
  const post = await handleMetricsRequest(
    new Request(`${base}/metrics`, { method: "POST" }),
    { source: fixed },
  );
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
  const head = await handleMetricsRequest(
    new Request(`${base}/metrics`, { method: "HEAD" }),
    { source: fixed },
  );
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  const get = await handleMetricsRequest(new Request(`${base}/metrics?x=1`), {
    source: fixed,
  });
  assert.equal(await get.text(), "fs_up 1\n");
});

Deno.test("handleMetricsRequest() answers 500 and logs when rendering fails", async () => {
  const lines: [LogLevel, string][] = [];
  const response = await handleMetricsRequest(new Request("http://h/metrics"), {
    source: {
      contentType: "text/plain",
      render: () => Promise.reject(new Error("boom")),
    },
    logger: { log: (level, message) => lines.push([level, message]) },
  });
  assert.equal(response.status, 500);
  await response.body?.cancel();
  assert.deepEqual(lines, [["error", "Cannot render the metrics: boom"]]);
});

Deno.test("serveMetrics() fails with UNAVAILABLE when the port is taken", async () => {
  const first = serveMetrics(fixed, { port: 0 });
  try {
    assert.throws(
      () => serveMetrics(fixed, { port: first.port }),
      (error: unknown) =>
        error instanceof FsError && error.code === "UNAVAILABLE" &&
        /Cannot serve metrics on 127\.0\.0\.1:\d+/.test(error.message),
    );
  } finally {
    await first.close();
  }
});

Deno.test("parseMetricsPort() reads absent as off, 0 as a free port, and refuses non-ports", () => {
  assert.equal(parseMetricsPort(undefined), null);
  assert.equal(parseMetricsPort("0"), 0);
  assert.equal(parseMetricsPort("9464"), 9464);
  for (const bad of ["", "x", "-1", "65536", "1.5"]) {
    assert.throws(
      () => parseMetricsPort(bad),
      (error: unknown) =>
        error instanceof FsError && error.code === "BAD_REQUEST" &&
        error.message.startsWith(
          "Cannot use --metrics-port as it is not a port number",
        ),
      bad,
    );
  }
});

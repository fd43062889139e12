/**
 * The Prometheus scrape endpoint: `GET /metrics` over plain HTTP on its own
 * port (`--metrics-port`), off unless that flag is given.
 * @module
 */
import {
  createLogger,
  FsError,
  type Logger,
  messageOf,
} from "../runtime/core/mod.ts";

/** What the endpoint serves: a registry that renders the text format. */
export interface MetricsSource {
  /** Content type of the rendered text. */
  readonly contentType: string;
  /** Renders every metric. */
  render(): Promise<string>;
}

/** Options for {@link serveMetrics}. */
export interface ServeMetricsOptions {
  /**
   * Address to bind (main.ts passes the gRPC `--host`).
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * Port to bind; 0 picks a free one (the handle reports it).
   * @default 9464
   */
  port?: number;
  /**
   * Where scrape failures are logged.
   * @default a text logger on stderr
   */
  logger?: Logger;
}

/** A bound metrics endpoint. */
export interface MetricsServerHandle {
  /** The scrape URL, e.g. "http://127.0.0.1:9464/metrics". */
  url: string;
  /** The bound port (the real one when 0 was asked). */
  port: number;
  /** Stops listening and ends connections. Idempotent. */
  close(): Promise<void>;
}

/** The path Prometheus scrapes. */
export const METRICS_PATH = "/metrics";

/**
 * Reads `--metrics-port`: absent means no endpoint (null), 0 a free port.
 *
 * @throws {FsError} BAD_REQUEST when the value is not a port number.
 */
export function parseMetricsPort(value: string | undefined): number | null {
  if (value === undefined) return null;
  const port = Number(value);
  if (
    value.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535
  ) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use --metrics-port as it is not a port number: current value is ${value}`,
    );
  }
  return port;
}

/** Answers one request: the metrics on GET/HEAD /metrics, an error otherwise. */
export async function handleMetricsRequest(
  request: Request,
  options: { source: MetricsSource; logger?: Logger },
): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname !== METRICS_PATH) {
    return new Response(`Not found: metrics are served at ${METRICS_PATH}\n`, {
      status: 404,
    });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response(`Method ${request.method} is not allowed\n`, {
      status: 405,
      headers: { allow: "GET, HEAD" },
    });
  }
  try {
    const text = await options.source.render();
    return new Response(request.method === "HEAD" ? null : text, {
      headers: { "content-type": options.source.contentType },
    });
  } catch (error) {
    (options.logger ?? createLogger()).log(
      "error",
      `Cannot render the metrics: ${messageOf(error)}`,
    );
    return new Response("Cannot render the metrics\n", { status: 500 });
  }
}

/**
 * Serves {@link METRICS_PATH} on `host:port`.
 *
 * @throws {FsError} UNAVAILABLE when the address cannot be bound (e.g. port in use).
 */
export function serveMetrics(
  source: MetricsSource,
  options: ServeMetricsOptions = {},
): MetricsServerHandle {
  const host = options.host ?? "127.0.0.1";
  const requested = options.port ?? 9464;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      {
        hostname: host,
        port: requested,
        // Deno's default prints a plain-text line; main.ts logs the URL itself.
        onListen: () => {},
      },
      (request) =>
        handleMetricsRequest(request, { source, logger: options.logger }),
    );
  } catch (error) {
    throw new FsError(
      "UNAVAILABLE",
      `Cannot serve metrics on ${host}:${requested} as the address cannot be bound ` +
        `(in use, or not an address of this machine): ${messageOf(error)}`,
      { cause: error },
    );
  }
  const port = server.addr.port;
  const urlHost = host.includes(":") && !host.startsWith("[")
    ? `[${host}]`
    : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}${METRICS_PATH}`,
    port,
    close: () => (closing ??= server.shutdown()),
  };
}

/**
 * Test helpers for api/cli: a real gRPC server over the in-memory fake
 * engine, and a way to run the CLI with captured output.
 * @module
 */
import { silentLogger } from "../../runtime/core/mod.ts";
import { createFakeControl, type FakeControl } from "../_fake_control.ts";
import { type GrpcServerHandle, serveGrpc } from "../server.ts";
import { runCli, type RunCliOptions } from "./mod.ts";
import type { TextWriter } from "./output.ts";

/** A served fake engine. */
export interface TestServer {
  /** The fake engine behind the server. */
  control: FakeControl;
  /** The bound server. */
  handle: GrpcServerHandle;
  /** The bound port, as a string for `--port`. */
  port: string;
  /** Closes the server. */
  close(): Promise<void>;
}

/** Serves a fake engine (or the one given) on 127.0.0.1, port 0. */
export async function startTestServer(
  control: FakeControl = createFakeControl(),
): Promise<TestServer> {
  const handle = await serveGrpc(control, {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    shutdownTimeoutMs: 200,
  });
  return {
    control,
    handle,
    port: String(handle.port),
    close: () => handle.close(),
  };
}

/** A writer that keeps what is written. */
export function captureWriter(): TextWriter & { text(): string } {
  const chunks: string[] = [];
  return {
    write(text) {
      chunks.push(text);
    },
    text: () => chunks.join(""),
  };
}

/** What one CLI run printed and returned. */
export interface CliRun {
  /** Exit code. */
  code: number;
  /** Everything written on stdout. */
  stdout: string;
  /** Everything written on stderr. */
  stderr: string;
}

/** Runs the CLI with captured output, no FS_TOKEN, and no stdin unless given. */
export async function cli(
  args: string[],
  options: RunCliOptions = {},
): Promise<CliRun> {
  const stdout = captureWriter();
  const stderr = captureWriter();
  const code = await runCli(args, {
    env: () => undefined,
    stdin: new ReadableStream({ start: (c) => c.close() }),
    ...options,
    stdout,
    stderr,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export function closedPort(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return String(port);
}

/** A stream of the UTF-8 bytes of `text`, in small chunks (split lines on purpose). */
export function textStream(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.slice(i, i + 7));
  return ReadableStream.from(chunks);
}

/** Writes files into a new temporary folder; returns their paths by name. */
export async function writeTempFiles(
  files: Record<string, string>,
): Promise<{ dir: string; path: (name: string) => string }> {
  const dir = await Deno.makeTempDir({ prefix: "fs_cli_test_" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return { dir, path: (name) => `${dir}/${name}` };
}

/**
 * Starts the real server (`main.ts`) as a child process for end-to-end tests.
 * @module
 */

/** A server started by {@link startServer}. */
export interface RunningServer {
  /** The gRPC port it listens on. */
  port: number;
  /** Everything it printed so far. */
  output(): string;
  /** Sends a signal and waits for the process to exit; returns its exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Options for {@link startServer}. */
export interface StartServerOptions {
  /** Folder for the server's data. */
  dataDir: string;
  /**
   * How long to wait for the listening line, in milliseconds.
   * @default 120000
   */
  timeoutMs?: number;
  /** More server flags, e.g. `["--isolation", "worker"]`. */
  args?: string[];
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Starts `main.ts` on an ephemeral port and waits until it listens. */
export async function startServer(
  options: StartServerOptions,
): Promise<RunningServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "--port",
      "0",
      "--data-dir",
      options.dataDir,
      ...(options.args ?? []),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let resolvePort: (port: number) => void = () => {};
  const portFound = new Promise<number>((resolve) => (resolvePort = resolve));
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const match = text.match(/listening on [^\s:]+:(\d+)/);
      if (match) resolvePort(Number(match[1]));
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then((s) => s.code);
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    portFound,
    exited.then((code) => {
      throw new Error(`server exited with ${code} before listening:\n${text}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`server did not listen within ${timeoutMs} ms:\n${text}`),
          ),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    port,
    output: () => text,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      const code = await exited;
      await pumps;
      return code;
    },
  };
}

/** Runs a Python script with the test virtualenv's interpreter; returns its output. */
export async function runPython(
  script: string,
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const python = Deno.env.get("FS_PYTHON") ??
    new URL("../../.venv/bin/python", import.meta.url).pathname;
  const result = await new Deno.Command(python, {
    args: [script],
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

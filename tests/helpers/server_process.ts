/**
 * Starts a server process (main.ts or the compiled binary) with any flags
 * and waits until it listens: the gRPC port, and the metrics URL when
 * `--metrics-port` was given. Works with text and JSON logs.
 * @module
 */

/** A server started by {@link spawnServer}. */
export interface ServerProcess {
  /** The gRPC port it listens on. */
  port: number;
  /** The metrics URL it logged, if any. */
  metricsUrl: string | null;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Sends a signal and waits for the process to exit; returns its exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Options for {@link spawnServer}. */
export interface SpawnServerOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * How long to wait for the listening lines, in milliseconds.
   * @default 120000
   */
  timeoutMs?: number;
}

/** Runs `command args...` and waits for "listening on host:port" (and "metrics at URL" when asked). */
export async function spawnServer(
  command: string,
  args: string[],
  options: SpawnServerOptions = {},
): Promise<ServerProcess> {
  const wantsMetrics = args.includes("--metrics-port");
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const ready = Promise.withResolvers<void>();
  let port = 0;
  let metricsUrl: string | null = null;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      port ||= Number(text.match(/listening on [^\s:"]+:(\d+)/)?.[1] ?? 0);
      metricsUrl ??= text.match(/metrics at (http:\/\/[^\s"]+)/)?.[1] ?? null;
      if (port > 0 && (!wantsMetrics || metricsUrl !== null)) ready.resolve();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then((s) => s.code);
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ready.promise,
      exited.then((code) => {
        throw new Error(
          `${command} exited with ${code} before listening:\n${text}`,
        );
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `${command} did not listen within ${timeoutMs} ms:\n${text}`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await exited;
    await pumps;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    port,
    metricsUrl,
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

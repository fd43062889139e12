/**
 * {@link RestartableServer}: the real server (`main.ts`) on one data folder
 * that a test can SIGKILL and start again, as a crash and a restart of the
 * machine's service would. Keeps every run's log for diagnostics.
 * @module
 */
import { FunctionStreamClient } from "../../api/cli/client.ts";
import { PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Snapshot cache shared by test runs (the isolate tests use it too). */
const SHARED_CACHE = `${
  Deno.env.get("TMPDIR") ?? "/tmp"
}/function-stream-isolate-test`;

/**
 * Copies the current Pyodide snapshot (built once in a shared cache) into
 * a data folder, so a fresh server does not spend seconds building it.
 */
export async function seedSnapshot(dataDir: string): Promise<void> {
  const { key } = await PyodideSnapshot.prepare({ cacheDir: SHARED_CACHE });
  const file = `pyodide-${key}.snapshot`;
  await Deno.mkdir(`${dataDir}/cache`, { recursive: true });
  await Deno.copyFile(`${SHARED_CACHE}/${file}`, `${dataDir}/cache/${file}`)
    .catch(() => {}); // the server then builds it itself
}

/** A server process that can be killed and started again on the same data. */
export class RestartableServer {
  readonly dataDir: string;
  #process: ServerProcess | null = null;
  #client: FunctionStreamClient | null = null;
  readonly #logs: string[] = [];

  private constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  /** Starts a server on `dataDir` (seeded with the snapshot) and waits until it listens. */
  static async start(dataDir: string): Promise<RestartableServer> {
    const server = await RestartableServer.prepare(dataDir);
    await server.restart();
    return server;
  }

  /** Seeds `dataDir` with the snapshot; the server starts at {@link restart}. */
  static async prepare(dataDir: string): Promise<RestartableServer> {
    await seedSnapshot(dataDir);
    return new RestartableServer(dataDir);
  }

  /** A gRPC client of the running server. */
  get client(): FunctionStreamClient {
    if (this.#client === null) {
      throw new Error(
        "Cannot call a server as it is not running: current state is killed or stopped",
      );
    }
    return this.#client;
  }

  /** The log of the current (or last) run. */
  output(): string {
    return this.#process?.output() ?? "";
  }

  /** The last `lines` lines of every run's log, runs separated by a header. */
  logTail(lines = 40): string {
    const runs = [...this.#logs];
    if (this.#process !== null) runs.push(this.#process.output());
    return runs.map((text, i) =>
      `--- server run ${i + 1} (last ${lines} lines) ---\n${
        text.trimEnd().split("\n").slice(-lines).join("\n")
      }`
    ).join("\n");
  }

  /** Starts the server (again, after {@link kill} or {@link stop}); resolves when it listens. */
  async restart(): Promise<void> {
    if (this.#process !== null) {
      throw new Error(
        "Cannot start the server as it is running: current state is running",
      );
    }
    this.#process = await spawnServer(Deno.execPath(), [
      "run",
      "--allow-all",
      MAIN,
      "--port",
      "0",
      "--data-dir",
      this.dataDir,
    ]);
    this.#client = new FunctionStreamClient(
      `127.0.0.1:${this.#process.port}`,
    );
  }

  /** SIGKILLs the server and waits for it to be gone. */
  async kill(): Promise<void> {
    await this.#end("SIGKILL");
  }

  /**
   * Stops the server with SIGTERM (a graceful stop) and returns its exit
   * code; SIGKILLs it when it has not exited after `timeoutMs`.
   *
   * @throws {Error} when the graceful stop timed out (with the log tail).
   */
  async stop(options: { timeoutMs?: number } = {}): Promise<number> {
    return await this.#end("SIGTERM", options.timeoutMs ?? 60_000);
  }

  async #end(signal: Deno.Signal, timeoutMs = 60_000): Promise<number> {
    const process = this.#process;
    if (process === null) return 0;
    this.#client?.close();
    this.#client = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const code = await Promise.race([process.stop(signal), late]);
    clearTimeout(timer);
    if (code === null) await process.stop("SIGKILL");
    this.#logs.push(process.output());
    this.#process = null;
    if (code === null) {
      throw new Error(
        `Cannot stop the server with ${signal} as it did not exit within ${timeoutMs} ms (SIGKILLed it)\n${this.logTail()}`,
      );
    }
    return code;
  }
}

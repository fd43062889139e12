/**
 * {@link crashRepeatedly}: crashes a running function at random moments
 * while its output grows, so every crash lands mid-stream and each one
 * follows new output of the previous recovery.
 * @module
 */
/** Options for {@link crashRepeatedly}. */
export interface CrashLoopOptions {
  /** How many crashes. */
  crashes: number;
  /** Output records once all input is processed. */
  total: number;
  /** How much output was read so far (records, or distinct records). */
  progress: () => number;
  /** Random numbers in [0, 1) (seeded, so a failing run can be replayed). */
  random: () => number;
  /**
   * Crashes the function and resolves once it runs again (a new server
   * listens, or the engine restarted the worker).
   */
  crash: () => Promise<void>;
  /** Diagnostics for a timeout (server log tail, say). */
  explain: () => string;
  /**
   * How long to wait for output progress before one crash, in milliseconds.
   * @default 60000
   */
  progressTimeoutMs?: number;
  /**
   * Most random delay after the progress point, in milliseconds.
   * @default 1000
   */
  maxDelayMs?: number;
}

/** What one crash hit. */
export interface CrashRecord {
  /** Output records read when the crash was made. */
  atOutput: number;
  /** Milliseconds since the loop started. */
  atMs: number;
  /** How long `crash()` took (kill and restart), milliseconds. */
  restartMs: number;
}

/**
 * Crash k of n waits until the output passes a random point of the k-th of
 * n+1 equal stretches of `total` and has grown since the previous recovery,
 * then waits a random delay (cut short when the output passes the end of
 * the stretch) and crashes. Resolves with what each crash hit.
 *
 * @throws {Error} when output does not progress in time, or all output was
 * there before a crash (the stream was too short to crash mid-stream).
 */
export async function crashRepeatedly(
  options: CrashLoopOptions,
): Promise<CrashRecord[]> {
  const { progress, total, crashes, random } = options;
  const timeoutMs = options.progressTimeoutMs ?? 60_000;
  const started = performance.now();
  const records: CrashRecord[] = [];
  let since = progress();
  for (let k = 1; k <= crashes; k++) {
    const point = Math.floor((total * (k - 1 + random())) / (crashes + 1));
    const need = Math.max(point, since + 1);
    const deadline = Date.now() + timeoutMs;
    while (progress() < need) {
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot crash after output progress as output stayed at ${progress()} of the ${need} records awaited for ${timeoutMs} ms before crash ${k} of ${crashes}\n${options.explain()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // The delay spreads crashes over the checkpoint interval; it ends early
    // when the output leaves the k-th stretch, so fast processing cannot
    // finish the stream before the last crash.
    const stretchEnd = Math.floor((total * k) / (crashes + 1));
    const delayEnd = performance.now() +
      random() * (options.maxDelayMs ?? 1000);
    while (performance.now() < delayEnd && progress() < stretchEnd) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const atOutput = progress();
    if (atOutput >= total) {
      throw new Error(
        `Cannot crash mid-stream as all ${total} output records were read before crash ${k} of ${crashes}: crashes so far ${
          JSON.stringify(records)
        }`,
      );
    }
    const t = performance.now();
    await options.crash();
    records.push({
      atOutput,
      atMs: Math.round(t - started),
      restartMs: Math.round(performance.now() - t),
    });
    since = progress();
  }
  return records;
}

/**
 * The seed of a crash test's random moments: env FS_TEST_SEED when set (to
 * replay a failing run), otherwise a fresh one. Tests print it.
 */
export function crashSeed(): number {
  const given = Number(Deno.env.get("FS_TEST_SEED"));
  return Number.isSafeInteger(given) && given > 0
    ? given
    : Math.floor(Math.random() * 2 ** 31) + 1;
}

/**
 * The machine's load for a failure message: load averages and, where Linux
 * reports them, CPU and memory pressure (a stalled test on a busy machine
 * reads differently from one stalled on an idle machine).
 */
export function machineLoad(): string {
  const parts = [`load average ${Deno.loadavg().join(" ")}`];
  for (const kind of ["cpu", "memory"]) {
    try {
      const text = Deno.readTextFileSync(`/proc/pressure/${kind}`);
      parts.push(`${kind} pressure ${text.trim().replace(/\n/g, "; ")}`);
    } catch {
      // not Linux, or no PSI
    }
  }
  return parts.join("\n");
}

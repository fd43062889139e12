/**
 * Runs one started function: reads its inputs, hands records to its isolate
 * in batches, writes what it emits, and commits state with input positions.
 * @module
 */
import {
  type InputRecord,
  type Logger,
  messageOf,
  type OutputRecord,
  type PythonModule,
  type SourcePosition,
  type StateBackend,
  type TaskConfig,
} from "../core/mod.ts";
import {
  openSink,
  openSource,
  type SinkWriter,
  type SourceReader,
} from "../connectors/mod.ts";
import { FunctionIsolate, type PyodideSnapshot } from "../isolate/mod.ts";
import {
  type FunctionMetrics,
  type LagSample,
  noMetrics,
} from "../metrics/mod.ts";

/** What a runner needs to start. */
export interface RunnerOptions {
  /** The function's resolved task config. */
  config: TaskConfig;
  /** The operator class to instantiate. */
  className: string;
  /** The uploaded modules. */
  modules: PythonModule[];
  /** Where state and input positions live. */
  state: StateBackend;
  /** The Pyodide snapshot workers start from. */
  snapshot: PyodideSnapshot;
  /** The server log. */
  logger: Logger;
  /**
   * Receives per-batch counts and latency.
   * @default noMetrics
   */
  metrics?: FunctionMetrics;
  /** Called once when the running function fails; the runner has stopped itself by then. */
  onFailure: (error: unknown) => void;
  /**
   * Most records handed to the isolate in one batch.
   * @default 1000
   */
  maxBatchRecords?: number;
  /**
   * How long one poll waits for records, in milliseconds.
   * @default 50
   */
  pollWaitMs?: number;
}

function positionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** A running function. Create with {@link FunctionRunner.start}. */
export class FunctionRunner {
  readonly #options: RunnerOptions;
  readonly #isolate: FunctionIsolate;
  readonly #sources: SourceReader[];
  readonly #sinks: SinkWriter[];
  /** The topic each source reads, by index. */
  readonly #topics: string[];
  readonly #positions: Map<string, SourcePosition>;
  readonly #abort = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    options: RunnerOptions,
    parts: {
      isolate: FunctionIsolate;
      sources: SourceReader[];
      sinks: SinkWriter[];
      positions: SourcePosition[];
    },
  ) {
    this.#options = options;
    this.#isolate = parts.isolate;
    this.#sources = parts.sources;
    this.#sinks = parts.sinks;
    this.#topics = options.config.inputGroups.flatMap((g) =>
      g.inputs.map((i) => i.topic)
    );
    this.#positions = new Map(
      parts.positions.map((p) => [positionKey(p.topic, p.partition), p]),
    );
  }

  /**
   * Starts the isolate (import, init), the outputs and the inputs, then the
   * processing loop. Anything started is released again when a step fails.
   */
  static async start(options: RunnerOptions): Promise<FunctionRunner> {
    const { config } = options;
    const isolate = await FunctionIsolate.start({
      functionName: config.name,
      className: options.className,
      modules: options.modules,
      initConfig: config.initConfig,
      outputCount: config.outputs.length,
      state: options.state,
      snapshot: options.snapshot,
      onLog: (line) =>
        options.logger.log("info", line, { function: config.name }),
    });
    const sinks: SinkWriter[] = [];
    const sources: SourceReader[] = [];
    // Client library lines go through the server log (and its format).
    const logger = (level: "error" | "warn", message: string) =>
      options.logger.log(level, message, {
        function: config.name,
        component: "kafka",
      });
    try {
      for (const output of config.outputs) {
        sinks.push(
          await openSink(output, { clientId: `fs-${config.name}`, logger }),
        );
      }
      const positions = await options.state.positions(config.name);
      for (const [sourceId, group] of config.inputGroups.entries()) {
        for (const input of group.inputs) {
          const source = openSource(input, {
            sourceId,
            clientId: `fs-${config.name}`,
            logger,
          });
          sources.push(source);
          await source.start(positions.filter((p) => p.topic === input.topic));
        }
      }
      const runner = new FunctionRunner(options, {
        isolate,
        sources,
        sinks,
        positions,
      });
      runner.#loop = runner.#run();
      return runner;
    } catch (error) {
      isolate.terminate();
      await closeAll([...sources, ...sinks]);
      throw error;
    }
  }

  /** Stops the loop after the batch in flight, calls `close(ctx)` and releases everything. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    await this.#loop;
    try {
      // What close(ctx) emits or writes is kept like any batch's results.
      const result = await this.#isolate.close();
      await this.#send(result.outputs);
      await this.#options.state.commit(this.#options.config.name, {
        mutations: result.mutations,
        positions: [...this.#positions.values()],
      });
    } catch (error) {
      this.#options.logger.log(
        "warn",
        `close() of the operator failed: ${messageOf(error)}`,
        { function: this.#options.config.name },
      );
    }
    await closeAll([...this.#sources, ...this.#sinks]);
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      while (!signal.aborted) {
        const records = await this.#poll(signal);
        if (records.length > 0) await this.#processBatch(records);
      }
    } catch (error) {
      if (this.#closed) return;
      this.#closed = true;
      this.#isolate.terminate();
      await closeAll([...this.#sources, ...this.#sinks]);
      this.#options.onFailure(error);
    }
  }

  async #poll(signal: AbortSignal): Promise<InputRecord[]> {
    const maxRecords = this.#options.maxBatchRecords ?? 1000;
    const perSource = Math.max(
      1,
      Math.floor(maxRecords / this.#sources.length),
    );
    const batches = await Promise.all(
      this.#sources.map((source) =>
        source.poll({
          maxRecords: perSource,
          maxWaitMs: this.#options.pollWaitMs ?? 50,
          signal,
        })
      ),
    );
    return batches.flat();
  }

  /** Records between the committed position and the last fetched end, per input partition. */
  consumerLag(): LagSample[] {
    return this.#sources.flatMap((source) =>
      (source.highWatermarks?.() ?? []).flatMap((end) => {
        const at = this.#positions.get(positionKey(end.topic, end.partition));
        if (at === undefined) return [];
        const lag = end.highWatermark - at.nextOffset;
        return [{
          topic: end.topic,
          partition: end.partition,
          lag: Number(lag > 0n ? lag : 0n),
        }];
      })
    );
  }

  async #processBatch(records: InputRecord[]): Promise<void> {
    const started = performance.now();
    const { outputs, mutations } = await this.#isolate.process(records);
    await this.#send(outputs);
    for (const record of records) {
      this.#positions.set(positionKey(record.topic, record.partition), {
        topic: record.topic,
        partition: record.partition,
        nextOffset: record.offset + 1n,
      });
    }
    const positions = [...this.#positions.values()];
    await this.#options.state.commit(this.#options.config.name, {
      mutations,
      positions,
    });
    (this.#options.metrics ?? noMetrics).batchProcessed(
      this.#options.config.name,
      {
        recordsIn: records.length,
        recordsOut: outputs.length,
        seconds: (performance.now() - started) / 1000,
        mutations,
      },
    );
    // The group offsets are for lag tooling only: resumption uses the
    // positions committed with state above, so a failure here loses nothing.
    for (const [i, source] of this.#sources.entries()) {
      const topic = this.#topics[i];
      source.commit(positions.filter((p) => p.topic === topic)).catch(() => {});
    }
  }

  async #send(outputs: OutputRecord[]): Promise<void> {
    if (outputs.length === 0) return;
    const byChannel = new Map<number, OutputRecord[]>();
    for (const output of outputs) {
      const list = byChannel.get(output.channel) ?? [];
      list.push(output);
      byChannel.set(output.channel, list);
    }
    await Promise.all(
      [...byChannel].map(([channel, list]) => this.#sinks[channel].send(list)),
    );
  }
}

async function closeAll(parts: { close(): Promise<void> }[]): Promise<void> {
  await Promise.all(parts.map((part) => part.close().catch(() => {})));
}

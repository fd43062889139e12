/**
 * The runner's edges: opening a function's outputs and inputs, writing
 * outputs to their channels, and releasing everything.
 * @module
 */
import type { OutputRecord, SourcePosition, TaskConfig } from "../core/mod.ts";
import {
  type KafkaLogFn,
  openSink,
  openSource,
  type SinkWriter,
  type SourceReader,
} from "../connectors/mod.ts";

/** One started input: its reader and what it reads. */
export interface RunnerInput {
  /** The reader. */
  source: SourceReader;
  /** Index of the input group (`source_id`). */
  sourceId: number;
  /** The topic it reads. */
  topic: string;
}

/** Opens every output of a function; what was opened is closed again when one fails. */
export async function openSinks(
  config: TaskConfig,
  options: { logger: KafkaLogFn },
): Promise<SinkWriter[]> {
  const clientId = `fs-${config.name}`;
  const sinks: SinkWriter[] = [];
  try {
    for (const output of config.outputs) {
      sinks.push(await openSink(output, { clientId, logger: options.logger }));
    }
    return sinks;
  } catch (error) {
    await closeAll(sinks);
    throw error;
  }
}

/**
 * Starts every input at the stored positions; what was started is closed
 * again when one fails.
 */
export async function openInputs(
  config: TaskConfig,
  options: { positions: SourcePosition[]; logger: KafkaLogFn },
): Promise<RunnerInput[]> {
  const { positions, logger } = options;
  const clientId = `fs-${config.name}`;
  const inputs: RunnerInput[] = [];
  try {
    for (const [sourceId, group] of config.inputGroups.entries()) {
      for (const input of group.inputs) {
        const source = openSource(input, { sourceId, clientId, logger });
        inputs.push({ source, sourceId, topic: input.topic });
        await source.start(positions.filter((p) => p.topic === input.topic));
      }
    }
    return inputs;
  } catch (error) {
    await closeAll(inputs.map((i) => i.source));
    throw error;
  }
}

/** Writes outputs to their channels; order is kept within each channel. */
export async function sendByChannel(
  sinks: SinkWriter[],
  outputs: OutputRecord[],
): Promise<void> {
  if (outputs.length === 0) return;
  const byChannel = new Map<number, OutputRecord[]>();
  for (const output of outputs) {
    const list = byChannel.get(output.channel) ?? [];
    list.push(output);
    byChannel.set(output.channel, list);
  }
  await Promise.all(
    [...byChannel].map(([channel, list]) => sinks[channel].send(list)),
  );
}

/** Closes every part, ignoring their errors (they are being released). */
export async function closeAll(
  parts: { close(): Promise<void> }[],
): Promise<void> {
  await Promise.all(parts.map((part) => part.close().catch(() => {})));
}

/**
 * The runner's edges: opening a function's connectors, writing outputs to
 * their channels, and releasing everything.
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

/** A function's started connectors. */
export interface RunnerConnectors {
  /** Inputs in config order. */
  inputs: RunnerInput[];
  /** Outputs by channel. */
  sinks: SinkWriter[];
}

/**
 * Opens every output and starts every input at the stored positions. What
 * was opened is closed again when a step fails.
 */
export async function openConnectors(
  config: TaskConfig,
  options: { positions: SourcePosition[]; logger: KafkaLogFn },
): Promise<RunnerConnectors> {
  const { positions, logger } = options;
  const clientId = `fs-${config.name}`;
  const sinks: SinkWriter[] = [];
  const inputs: RunnerInput[] = [];
  try {
    for (const output of config.outputs) {
      sinks.push(await openSink(output, { clientId, logger }));
    }
    for (const [sourceId, group] of config.inputGroups.entries()) {
      for (const input of group.inputs) {
        const source = openSource(input, { sourceId, clientId, logger });
        inputs.push({ source, sourceId, topic: input.topic });
        await source.start(positions.filter((p) => p.topic === input.topic));
      }
    }
    return { inputs, sinks };
  } catch (error) {
    await closeAll([...inputs.map((i) => i.source), ...sinks]);
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

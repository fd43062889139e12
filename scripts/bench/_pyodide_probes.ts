/**
 * Operators that split the in-memory figure into its parts: the bare
 * interpreter (MetricProcessor on a dict context inside Pyodide, no runtime
 * bridge), the bridge alone (process() does nothing), the bridge with one
 * output per record (echo), and with MetricProcessor's state get + put.
 * @module
 */
import { DICT_CONTEXT_PY } from "./_cpython.ts";

/** Class name of the interpreter probe. */
export const PROBE_CLASS = "InterpreterProbe";
/** Class name of the no-op operator. */
export const NOOP_CLASS = "NoopProcessor";
/** Class name of the operator that emits every record unchanged. */
export const ECHO_CLASS = "EchoProcessor";
/** Class name of the operator that only does MetricProcessor's state get + put. */
export const STATE_CLASS = "StateOnlyProcessor";

/**
 * Module source holding MetricProcessor (`metricSource`), the dict context
 * and the probes. The probe takes one record (the newline-joined
 * messages), runs MetricProcessor over them `reps` times and emits the rates
 * as a JSON list, plus the last total for checking.
 */
export function probeModule(metricSource: string, reps: number): string {
  return `${metricSource}
import time as _time
${DICT_CONTEXT_PY}

class ${PROBE_CLASS}(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        msgs = data.split(b"\\n")
        config = {"metric_name": "user_click"}
        op = MetricProcessor()
        dctx = DictContext(config)
        op.init(dctx, dctx.getConfig())
        rates = []
        for _ in range(${reps}):
            process = op.process
            t = _time.perf_counter()
            for d in msgs:
                process(dctx, 0, d)
            rates.append(len(msgs) / (_time.perf_counter() - t))
            last = json.loads(dctx.out[-1])["total"]
            dctx.out.clear()
        ctx.emit(json.dumps({"rates": rates, "total": last}).encode(), 0)

class ${NOOP_CLASS}(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        pass

class ${ECHO_CLASS}(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(data, 0)

class ${STATE_CLASS}(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        store = ctx.getOrCreateKVStore("stats_db")
        key = b"count:user_click"
        store.put_state(key, str(int(store.get_state(key) or 0) + 1).encode())
`;
}

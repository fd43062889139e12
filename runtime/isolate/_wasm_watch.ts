/**
 * Evaluated before pyodide.mjs (the first import of _worker_load.ts): it
 * catches the one WebAssembly.compile pyodide.mjs starts while it is
 * evaluated, that of its error-marker module (`getJsvErrorImport`), whose
 * two exports pyodide.asm.wasm imports.
 *
 * Pyodide awaits that module only in its own instantiateWasm hook, which
 * also reads pyodide.asm.wasm (9.6 MB per worker). The loader instantiates
 * the host's compiled module instead, so it must supply the two imports and
 * make sure pyodide.mjs has instantiated the marker module before the realm
 * is locked (after which WebAssembly.instantiate refuses, and pyodide.mjs's
 * pending instantiation would end the worker as an unhandled rejection).
 * @module
 */

const apply = Reflect.apply;
const compile = WebAssembly.compile;

/** The marker module's two exports (pyodide.asm.wasm's `env` imports). */
export const JSV_ERROR_EXPORTS = ["Jsv_GetError_import", "JsvError_Check"];

let marker: Promise<WebAssembly.Module | null | undefined> | undefined;

function isMarkerModule(module: WebAssembly.Module): boolean {
  const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
  return names.join() === [...JSV_ERROR_EXPORTS].sort().join();
}

WebAssembly.compile = function (bytes: BufferSource) {
  WebAssembly.compile = compile;
  const compiled = apply(compile, WebAssembly, [bytes]) as Promise<
    WebAssembly.Module
  >;
  // Registered before pyodide.mjs awaits the same promise, so this runs
  // first; whoever awaits `marker` resumes after pyodide.mjs has called
  // WebAssembly.instantiate with the module.
  marker = compiled.then(
    (module) => isMarkerModule(module) ? module : undefined,
    () => null,
  );
  return compiled;
};

/**
 * The error-marker module pyodide.mjs compiled, once pyodide.mjs has gone on
 * to instantiate it; null if it failed to compile (no Wasm GC: Pyodide then
 * uses plain JS functions); undefined if no such compile was seen (the
 * loader then leaves instantiation to Pyodide).
 */
export async function pyodideMarkerModule(): Promise<
  WebAssembly.Module | null | undefined
> {
  return await marker;
}

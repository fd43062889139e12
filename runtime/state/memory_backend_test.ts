import { registerBackendSuite } from "./backend_suite.ts";
import { MemoryStateBackend } from "./memory_backend.ts";

registerBackendSuite("MemoryStateBackend", {
  open: () =>
    Promise.resolve({
      backend: new MemoryStateBackend(),
      close: () => Promise.resolve(),
    }),
});

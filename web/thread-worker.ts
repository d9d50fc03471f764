// Entry point of a pool worker thread in the page (a module Worker; the init comes by postMessage).
// Node has its own entry, host/node/thread-worker.ts. See host/core/pool.ts.
import { workerMain, type ThreadInit } from "../host/core/pool.js";

const scope = self as unknown as { onmessage: ((ev: MessageEvent<ThreadInit>) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (ev) => {
  scope.onmessage = null;
  void workerMain(ev.data, () => scope.postMessage("ready"));
};

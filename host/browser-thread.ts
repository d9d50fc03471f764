// Entry point of a pool thread in a browser: a module Worker that host/browser.ts starts for each
// thread past the first (the init comes by postMessage). Node's is host/node/thread-worker.ts.
// See host/core/pool.ts.
import { workerMain, type ThreadInit } from "./core/pool.js";

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<ThreadInit>) => void) | null;
  postMessage(m: unknown): void;
};
scope.onmessage = (ev) => {
  scope.onmessage = null;
  void workerMain(ev.data, () => scope.postMessage("ready"));
};

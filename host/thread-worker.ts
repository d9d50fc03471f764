// Entry point of a pool worker thread, in Node (worker_threads: the init comes as workerData) and in
// the browser (a module Worker: the init comes by postMessage). See host/pool.ts.
import { workerMain, type ThreadInit } from "./pool.js";

const isNode = typeof process !== "undefined" && !!process.versions?.node;
if (isNode) {
  const { workerData, parentPort } = await import("node:worker_threads");
  await workerMain(workerData as ThreadInit, () => parentPort!.postMessage("ready"));
} else {
  const scope = self as unknown as { onmessage: ((ev: MessageEvent<ThreadInit>) => void) | null; postMessage(m: unknown): void };
  scope.onmessage = (ev) => {
    scope.onmessage = null;
    void workerMain(ev.data, () => scope.postMessage("ready"));
  };
}

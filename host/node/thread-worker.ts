// Entry point of a pool worker thread in Node (worker_threads; the init comes as workerData).
// The browser's is host/browser-thread.ts. See host/core/pool.ts.
import { workerData, parentPort } from "node:worker_threads";
import { workerMain, type ThreadInit } from "../core/pool.js";

await workerMain(workerData as ThreadInit, () => parentPort!.postMessage("ready"));

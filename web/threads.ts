// Pool threads in the page: each a module Worker running web/thread-worker.js on the engine's shared
// memory (host/core/pool.ts). The training and photo Workers both spawn them through this.
import type { ThreadInit } from "../host/core/pool.js";

export function spawnThread(init: ThreadInit): Promise<{ terminate(): void }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./thread-worker.js", import.meta.url), { type: "module" });
    w.onmessage = () => resolve(w);
    w.onerror = (e) => reject(new Error(`thread worker: ${e.message}`));
    w.postMessage(init);
  });
}

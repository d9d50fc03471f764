// Raw memory for the host. The host reserves every arena once, when a model is built; nothing
// below is called during a training step, so wasm memory never grows while training.

/** Reserves `bytes` of zeroed memory, 16-byte aligned (v128 loads on arena pointers are natural). */
export function alloc(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** Sets `bytes` bytes at `ptr` to zero (gradient arenas, activation grads). */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

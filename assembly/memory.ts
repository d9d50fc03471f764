// Raw memory for the host: a bump allocator of 16-byte-aligned blocks without headers, so a block
// of n bytes moves the top by exactly align16(n) — the figure host/core/plan.ts sums for every
// memory guard. The host reserves a model's arenas when it builds the model and gives them back
// with release(mark) when the model goes (models of different sizes come and go, memory stays
// flat); nothing here runs during a training step, so wasm memory never grows while training.
// (The engine allocates nothing else: no `new`, the stub runtime's own allocator is never called.)

let top: usize = (__heap_base + 15) & ~(<usize>15);

/** Reserves `bytes` of zeroed memory, 16-byte aligned (v128 loads on arena pointers are natural). */
export function alloc(bytes: usize): usize {
  return take(bytes, true);
}

/**
 * alloc without clearing: the bytes may still hold a released model's data. For arenas whose every
 * byte is written before it is read (an inference model's activations and workspaces, which its layers
 * reuse anyway), where clearing cost a 1 MP denoise call ~35 ms on one thread.
 */
export function allocUncleared(bytes: usize): usize {
  return take(bytes, false);
}

function take(bytes: usize, clear: bool): usize {
  const p = top;
  const end = (p + bytes + 15) & ~(<usize>15);
  if (end < p) abort("wasm memory is full (4 GiB)");
  const have = <usize>memory.size() << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >>> 16)) < 0) abort("wasm memory cannot grow that far");
  // Below `have` the bytes may be a released model's; above it they are fresh pages, zero already
  // (and left untouched, so a large reservation costs no resident memory until it is used).
  if (clear && have > p) memory.fill(p, 0, min(bytes, have - p));
  top = end;
  return p;
}

/** The allocator's top: alloc's next block starts here; pass it to release() to free what came after. */
export function heapTop(): usize {
  return top;
}

/** Frees every block allocated after `mark` (a heapTop() value): the memory is reused, not returned. */
export function release(mark: usize): void {
  if (mark > top || (mark & 15) != 0) abort("release: not a mark of this allocator");
  top = mark;
}

/** Sets `bytes` bytes at `ptr` to zero (gradient arenas, activation grads). */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

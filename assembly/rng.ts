// The engine's one source of randomness: xoshiro256** (Blackman & Vigna), seeded through
// splitmix64. Never a host-seeded generator: a seed must fix a whole run.
// State is four u64 globals of this instance (not linear memory, so a worker instance sharing the
// memory cannot clobber it); rngGetState/rngSetState move it for checkpoints.
// https://prng.di.unimi.it/xoshiro256starstar.c

let s0: u64 = 0x9e3779b97f4a7c15;
let s1: u64 = 0xbf58476d1ce4e5b9;
let s2: u64 = 0x94d049bb133111eb;
let s3: u64 = 0x2545f4914f6cdd1d;

/** Seeds the generator from a 64-bit seed given as two u32 halves (JS numbers, no BigInt). */
export function rngSeed(lo: u32, hi: u32): void {
  let x: u64 = (<u64>hi << 32) | <u64>lo;
  x += 0x9e3779b97f4a7c15; s0 = mix64(x);
  x += 0x9e3779b97f4a7c15; s1 = mix64(x);
  x += 0x9e3779b97f4a7c15; s2 = mix64(x);
  x += 0x9e3779b97f4a7c15; s3 = mix64(x);
}

// @ts-ignore: decorator
@inline function mix64(z: u64): u64 {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Writes the 32-byte generator state to `ptr`. */
export function rngGetState(ptr: usize): void {
  store<u64>(ptr, s0); store<u64>(ptr, s1, 8); store<u64>(ptr, s2, 16); store<u64>(ptr, s3, 24);
}

/** Restores a state written by rngGetState. */
export function rngSetState(ptr: usize): void {
  s0 = load<u64>(ptr); s1 = load<u64>(ptr, 8); s2 = load<u64>(ptr, 16); s3 = load<u64>(ptr, 24);
}

// A stash of the state: a worker slice reseeds the generator per image (noiseImages) and the main
// thread's instance, which also runs a slice, must get its own stream back afterwards.
let t0: u64 = 0, t1: u64 = 0, t2: u64 = 0, t3: u64 = 0;

/** Puts the generator's state aside (rngUnstash brings it back). */
// @ts-ignore: decorator
@inline export function rngStash(): void {
  t0 = s0; t1 = s1; t2 = s2; t3 = s3;
}

/** Restores the state rngStash put aside. */
// @ts-ignore: decorator
@inline export function rngUnstash(): void {
  s0 = t0; s1 = t1; s2 = t2; s3 = t3;
}

/** Writes `count` 64-bit seeds (two u32 halves each, low first) at ptr: one per image of a training batch. */
export function fillSeeds(ptr: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<u64>(ptr + (<usize>i << 3), nextU64());
}

/** Next 64 random bits. */
export function nextU64(): u64 {
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 17;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 45);
  return result;
}

// @ts-ignore: decorator
@inline function rotl(x: u64, k: u64): u64 {
  return (x << k) | (x >> (64 - k));
}

/** Next 32 random bits (the high half: the best bits of xoshiro256**). */
// @ts-ignore: decorator
@inline export function nextU32(): u32 {
  return <u32>(nextU64() >> 32);
}

/** Uniform f64 in [0, 1), 53 random bits. */
export function uniform(): f64 {
  return <f64>(nextU64() >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** Uniform integer in [0, n), n ≥ 1, without modulo bias (Lemire's multiply-and-reject). */
export function below(n: u32): u32 {
  let m = <u64>nextU32() * <u64>n;
  let low = <u32>m;
  if (low < n) {
    const threshold: u32 = (<u32>0 - n) % n;
    while (low < threshold) {
      m = <u64>nextU32() * <u64>n;
      low = <u32>m;
    }
  }
  return <u32>(m >> 32);
}

/** Fills n floats at ptr with U(lo, hi) (weight initialisation). */
export function fillUniform(ptr: usize, n: i32, lo: f32, hi: f32): void {
  const span = <f64>hi - <f64>lo;
  for (let i = 0; i < n; i++) store<f32>(ptr + (<usize>i << 2), <f32>(<f64>lo + span * uniform()));
}

/** The second value of the last normalPair() call; read it right after the call (scratch, never carried over). */
export let normalPairSecond: f32 = 0;

/**
 * Two independent N(0, 1) values by Box–Muller in f64 from two uniform() draws: returns r·cos t and
 * leaves r·sin t in normalPairSecond. The one copy of the pair maths every normal sampler uses, so
 * they all draw the same stream. (The first value comes back as a local and only the second goes
 * through a global; a v128 pair is not an option, the scalar build has no SIMD.)
 */
// @ts-ignore: decorator
@inline export function normalPair(): f32 {
  const r = Math.sqrt(-2.0 * Math.log(1.0 - uniform())); // 1 − u ∈ (0, 1]: log is finite
  const t = 6.283185307179586 * uniform();
  normalPairSecond = <f32>(r * Math.sin(t));
  return <f32>(r * Math.cos(t));
}

/**
 * Fills n floats at ptr with N(0, 1), both values of each normalPair() used (an odd n drops the
 * last one), so there is no cached sample outside the four state words.
 */
export function fillNormal(ptr: usize, n: i32): void {
  let i = 0;
  while (i < n) {
    store<f32>(ptr + (<usize>i << 2), normalPair());
    if (i + 1 < n) store<f32>(ptr + (<usize>(i + 1) << 2), normalPairSecond);
    i += 2;
  }
}

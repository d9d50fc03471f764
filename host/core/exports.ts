// The engine boundary: the exports of assembly/index.ts, typed. test/engine-exports.test.ts checks
// this interface against every built .wasm (each function's name and parameter count, and that
// nothing else is exported), so it cannot drift from the engine unnoticed.
export type Ptr = number;

/** Exports of assembly/index.ts. Every pointer is a byte address in `memory`. */
export interface EngineExports {
  memory: WebAssembly.Memory;
  buildMode(): number;
  alloc(bytes: number): Ptr;
  allocUncleared(bytes: number): Ptr;
  heapTop(): Ptr;
  release(mark: Ptr): void;
  zero(ptr: Ptr, bytes: number): void;
  gemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    a: Ptr,
    lda: number,
    b: Ptr,
    ldb: number,
    c: Ptr,
    ldc: number,
    accumulate: number,
    scratch: Ptr,
  ): void;
  gemmRef(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    a: Ptr,
    lda: number,
    b: Ptr,
    ldb: number,
    c: Ptr,
    ldc: number,
    accumulate: number,
  ): void;
  gemmScratchBytes(): number;
  im2col(
    col: Ptr,
    x: Ptr,
    B: number,
    C: number,
    H: number,
    W: number,
    cStride: number,
    bStride: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    Ho: number,
    Wo: number,
  ): void;
  col2im(
    x: Ptr,
    col: Ptr,
    B: number,
    C: number,
    H: number,
    W: number,
    cStride: number,
    bStride: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    Ho: number,
    Wo: number,
  ): void;
  /** Images per im2col + GEMM round of a conv layer whose column matrix holds perImage floats per image. */
  im2colChunkImages(B: number, perImage: number): number;
  /**
   * The path conv2dForward / conv2dBackward take for a layer (assembly/conv2d.ts FAST_*): 0 im2col + GEMM,
   * else a fast 3×3 path (at stride 2 for the forward only). The same for every batch and build.
   */
  conv2dPath(
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
  ): number;
  /** Workspace bytes of conv2dForward alone (an inference model's; the forward runs large images in bands of rows). */
  conv2dForwardWorkspaceBytes(
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
  ): number;
  conv2dWorkspaceBytes(
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
  ): number;
  conv2dForward(
    y: Ptr,
    x: Ptr,
    w: Ptr,
    bias: Ptr,
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    ws: Ptr,
  ): void;
  conv2dBackward(
    dx: Ptr,
    dw: Ptr,
    db: Ptr,
    dy: Ptr,
    x: Ptr,
    w: Ptr,
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    ws: Ptr,
  ): void;
  /** 1 where conv2dForward's path runs only a layer record's output window (the Winograd paths; host/core/windows.ts), else 0. */
  conv2dTakesWindow(
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
  ): number;
  /** 1 where convTranspose2dForward takes the stride-2 Winograd path (its backward stays GEMM), else 0. */
  convTranspose2dWinograd(
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    oph: number,
    opw: number,
  ): number;
  /** Workspace bytes of convTranspose2dForward alone (an inference model's), as conv2dForwardWorkspaceBytes. */
  convTranspose2dForwardWorkspaceBytes(
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    oph: number,
    opw: number,
  ): number;
  convTranspose2dWorkspaceBytes(
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    oph: number,
    opw: number,
  ): number;
  convTranspose2dForward(
    y: Ptr,
    x: Ptr,
    w: Ptr,
    bias: Ptr,
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    oph: number,
    opw: number,
    ws: Ptr,
  ): void;
  convTranspose2dBackward(
    dx: Ptr,
    dw: Ptr,
    db: Ptr,
    dy: Ptr,
    x: Ptr,
    w: Ptr,
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    oph: number,
    opw: number,
    ws: Ptr,
  ): void;
  reluForward(y: Ptr, x: Ptr, n: number): void;
  reluBackward(dx: Ptr, dy: Ptr, y: Ptr, n: number): void;
  leakyReluForward(y: Ptr, x: Ptr, n: number, slope: number): void;
  leakyReluBackward(dx: Ptr, dy: Ptr, x: Ptr, n: number, slope: number): void;
  sigmoidForward(y: Ptr, x: Ptr, n: number): void;
  sigmoidBackward(dx: Ptr, dy: Ptr, y: Ptr, n: number): void;
  addForward(y: Ptr, a: Ptr, b: Ptr, n: number): void;
  addBackward(da: Ptr, db: Ptr, dy: Ptr, n: number): void;
  mseForward(pred: Ptr, target: Ptr, n: number): number;
  mseBackward(dpred: Ptr, pred: Ptr, target: Ptr, n: number, divisor: number, scale: number): void;
  l1Forward(pred: Ptr, target: Ptr, n: number): number;
  l1Backward(dpred: Ptr, pred: Ptr, target: Ptr, n: number, divisor: number, scale: number): void;
  adamStep(
    p: Ptr,
    g: Ptr,
    m: Ptr,
    v: Ptr,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  adamStepShare(rec: Ptr, lo: number, hi: number): void;
  zeroGrad(g: Ptr, n: number): void;
  rngSeed(lo: number, hi: number): void;
  rngGetState(ptr: Ptr): void;
  rngSetState(ptr: Ptr): void;
  uniform(): number;
  below(n: number): number;
  fillUniform(ptr: Ptr, n: number, lo: number, hi: number): void;
  fillNormal(ptr: Ptr, n: number): void;
  noiseNone(dst: Ptr, src: Ptr, B: number, n: number): void;
  noiseGaussian(dst: Ptr, src: Ptr, B: number, n: number, sigma: number): void;
  noiseSaltPepper(dst: Ptr, src: Ptr, B: number, n: number, amount: number, saltVsPepper: number): void;
  noiseSpeckle(dst: Ptr, src: Ptr, B: number, n: number, sigma: number): void;
  noisePoisson(dst: Ptr, src: Ptr, B: number, n: number, peak: number): void;
  noiseMixed(
    dst: Ptr,
    src: Ptr,
    B: number,
    n: number,
    gaussianSigma: number,
    amount: number,
    saltVsPepper: number,
    speckleSigma: number,
    wGaussian: number,
    wSaltPepper: number,
    wSpeckle: number,
  ): void;
  poisson(lam: number): number;
  modelForward(table: Ptr, n: number, B: number, ws: Ptr): void;
  /** claim: 1 to claim each layer's shares at run time (the layer records' `claimed` counters, zeroed first), 0 for part `part` of each. */
  modelForwardPart(table: Ptr, n: number, B: number, ws: Ptr, part: number, parts: number, claim: number): void;
  modelBackward(table: Ptr, n: number, B: number, ws: Ptr): void;
  peakMadd(iters: number, x: number, y: number): number;
  modelTrainSlice(
    table: Ptr,
    n: number,
    B: number,
    ws: Ptr,
    out: Ptr,
    target: Ptr,
    dOut: Ptr,
    count: number,
    divisor: number,
    lossKind: number,
    l1Weight: number,
    noiseRec: Ptr,
    seeds: Ptr,
  ): number;
  /** The training step's noise for `count` images of [C, H, W] from a noise record, image b from seed b. */
  noiseImages(rec: Ptr, seeds: Ptr, dst: Ptr, src: Ptr, count: number, C: number, H: number, W: number): void;
  /** Camera noise of one planar RGB image with explicit parameters (jpegQuality 0: no JPEG; subsample 1: 4:2:0). */
  noiseCamera(
    dst: Ptr,
    src: Ptr,
    H: number,
    W: number,
    a: number,
    b: number,
    pattern: number,
    gainR: number,
    gainB: number,
    jpegQuality: number,
    subsample: number,
  ): void;
  /** Camera noise of one planar RGB image with its parameters drawn from the engine RNG (the fitted (a, b)). */
  noiseCameraRandom(
    dst: Ptr,
    src: Ptr,
    H: number,
    W: number,
    jpegShare: number,
    qMin: number,
    qMax: number,
    share444: number,
  ): void;
  /** dst = src + √(a·max(src, 0) + b)·N(0, 1) over n floats: the raw (linear) sensor noise alone. */
  noiseCameraRaw(dst: Ptr, src: Ptr, n: number, a: number, b: number): void;
  /** `count` draws of the fitted (a, b) distribution, as f64 pairs at ptr. */
  cameraParams(ptr: Ptr, count: number): void;
  /** Planar RGB → each site's own channel kept, the others zeroed (pattern 0..3: RGGB, GRBG, GBRG, BGGR). */
  cameraMosaic(dst: Ptr, src: Ptr, H: number, W: number, pattern: number): void;
  /** Malvar–He–Cutler demosaicing in place of what cameraMosaic leaves. */
  cameraDemosaic(dst: Ptr, H: number, W: number, pattern: number): void;
  /** A simulated JPEG compression + decompression of a planar RGB image (quality 1..100; subsample 1: 4:2:0). */
  jpegRoundTrip(dst: Ptr, src: Ptr, H: number, W: number, quality: number, subsample: number): void;
  fillSeeds(ptr: Ptr, count: number): void;
  noiseLevel(x: Ptr, C: number, H: number, W: number, scratch: Ptr): number;
  fillNoiseMap(x: Ptr, B: number, C: number, H: number, W: number, scratch: Ptr): void;
  firstNonFinite(p: Ptr, n: number): number;
}

// The records the host writes into wasm memory for the engine to read, and the codes in them:
// defined here once, exported as globals, and read by name by the host when it instantiates the
// engine (host/core/abi.ts), so neither side repeats a number.

// ---- Layer record: LAYER_FIELDS i32 per layer, one table per thread (assembly/model.ts walks it).
// Shapes are per image [C, H, W]; pointers are absolute byte addresses (0 = none).
export const LAYER_OP: i32 = 0;      // OP_* below
export const LAYER_IN_C: i32 = 1;
export const LAYER_IN_H: i32 = 2;
export const LAYER_IN_W: i32 = 3;
export const LAYER_OUT_C: i32 = 4;
export const LAYER_OUT_H: i32 = 5;
export const LAYER_OUT_W: i32 = 6;
export const LAYER_KH: i32 = 7;      // kernel, stride, padding, output padding (convolutions)
export const LAYER_KW: i32 = 8;
export const LAYER_SH: i32 = 9;
export const LAYER_SW: i32 = 10;
export const LAYER_PH: i32 = 11;
export const LAYER_PW: i32 = 12;
export const LAYER_OPH: i32 = 13;
export const LAYER_OPW: i32 = 14;
export const LAYER_W: i32 = 15;      // parameters and their gradients
export const LAYER_BIAS: i32 = 16;
export const LAYER_DW: i32 = 17;
export const LAYER_DBIAS: i32 = 18;
export const LAYER_X: i32 = 19;      // input, output and their gradients (dx 0: nothing upstream wants it)
export const LAYER_Y: i32 = 20;
export const LAYER_DX: i32 = 21;
export const LAYER_DY: i32 = 22;
export const LAYER_X2: i32 = 23;     // ADD's second input and its gradient
export const LAYER_DX2: i32 = 24;
export const LAYER_ALPHA: i32 = 25;  // f32 bits: LEAKY_RELU's slope
export const LAYER_X2_C: i32 = 26;   // ADD: channels per image of x2 (≥ OUT_C; its first OUT_C are added)
export const LAYER_FUSE: i32 = 27;   // FUSE_* (host/core/plan.ts fusedWithNext, accumulatesIntoSkip)
export const LAYER_CLAIMED: i32 = 28; // threads sharing the layer: shares claimed so far (assembly/model.ts modelForwardPart)
export const LAYER_WIN_Y0: i32 = 29; // an inference model's output window (winograd_chunks.ts windowed): rows [Y0, Y1), columns
export const LAYER_WIN_Y1: i32 = 30; // [X0, X1) of each image, set by the host for each tile (host/core/windows.ts); Y1 = 0: all
export const LAYER_WIN_X0: i32 = 31;
export const LAYER_WIN_X1: i32 = 32;
export const LAYER_FIELDS: i32 = 33;

// ---- Fusion codes (LAYER_FUSE; 0: the record runs alone). An inference model's table only.
/** The record runs with the next one, its ReLU / leaky ReLU of the record's output: it writes that activation's output. */
export const FUSE_ACTIVATION: i32 = 1;
/**
 * A transposed convolution whose only reader, the next record, adds it to a skip that dies there: it adds
 * itself into the skip's buffer (its own output pointer), the add does not run, and the add's activation, if it
 * fuses one, applies to the sum.
 */
export const FUSE_ACCUMULATE: i32 = 2;

// ---- Op codes (LAYER_OP).
export const OP_CONV2D: i32 = 1;
export const OP_CONV_TRANSPOSE2D: i32 = 2;
export const OP_RELU: i32 = 3;
export const OP_LEAKY_RELU: i32 = 4;
export const OP_SIGMOID: i32 = 5;
export const OP_ADD: i32 = 6;
export const OP_IDENTITY: i32 = 7;

// ---- Loss codes (modelTrainSlice's lossKind).
export const LOSS_MSE: i32 = 0;
export const LOSS_L1: i32 = 1;
/** MSE + l1Weight · L1: MSE's PSNR with L1's exact zeros on a clean background. */
export const LOSS_MSE_L1: i32 = 2;

// ---- Adam step record of a threaded step (assembly/adam.ts adamStepShare), byte offsets:
// hyper-parameters as f64, then i32 step count and arena pointers, then STEP_ARENA_COUNT pointers
// to the other threads' gradient arenas from STEP_ARENAS on.
export const STEP_LR: i32 = 0;
export const STEP_BETA1: i32 = 8;
export const STEP_BETA2: i32 = 16;
export const STEP_EPS: i32 = 24;
export const STEP_WEIGHT_DECAY: i32 = 32;
export const STEP_T: i32 = 40;
export const STEP_PARAMS: i32 = 44;
export const STEP_GRADS: i32 = 48;
export const STEP_M: i32 = 52;
export const STEP_V: i32 = 56;
export const STEP_ARENA_COUNT: i32 = 60;
export const STEP_ARENAS: i32 = 64;

// ---- Noise record: the noise modelTrainSlice samples into its slice's input before the forward
// pass (host/core/model.ts writes it for each training step); byte offsets, kind a NOISE_* code.
export const NOISE_REC_KIND: i32 = 0;             // i32
export const NOISE_REC_GAUSSIAN_SIGMA: i32 = 8;   // f64 parameters from here on
export const NOISE_REC_AMOUNT: i32 = 16;
export const NOISE_REC_SALT_VS_PEPPER: i32 = 24;
export const NOISE_REC_SPECKLE_SIGMA: i32 = 32;
export const NOISE_REC_POISSON_PEAK: i32 = 40;
export const NOISE_REC_MIX_GAUSSIAN: i32 = 48;
export const NOISE_REC_MIX_SALT_PEPPER: i32 = 56;
export const NOISE_REC_MIX_SPECKLE: i32 = 64;
/** Above GAUSSIAN_SIGMA: each image's σ is uniform in [GAUSSIAN_SIGMA, GAUSSIAN_SIGMA_MAX] (blind training). */
export const NOISE_REC_GAUSSIAN_SIGMA_MAX: i32 = 72;
/** Above 0: the noisy image is clipped to [0, 1] and rounded to 1/QUANTIZE steps (255: an 8-bit file). */
export const NOISE_REC_QUANTIZE: i32 = 80;
/** With QUANTIZE, the share of images quantized (each drawn from its seed; 1: all, no draw). */
export const NOISE_REC_QUANTIZE_SHARE: i32 = 88;
/** CAMERA: the share of images given camera noise (camera.ts), each drawn; the others get GAUSSIAN's noise (σ range, QUANTIZE). */
export const NOISE_REC_CAMERA_SHARE: i32 = 96;
/** CAMERA: the share of camera-noise images JPEG-compressed, at a quality uniform in [JPEG_QUALITY_MIN, JPEG_QUALITY_MAX]. */
export const NOISE_REC_JPEG_SHARE: i32 = 104;
export const NOISE_REC_JPEG_QUALITY_MIN: i32 = 112;
export const NOISE_REC_JPEG_QUALITY_MAX: i32 = 120;
/** CAMERA: the share of those JPEGs with full-resolution chroma (4:4:4); the rest are 4:2:0. */
export const NOISE_REC_JPEG444_SHARE: i32 = 128;
export const NOISE_REC_BYTES: i32 = 136;

// ---- Noise kinds (NOISE_REC_KIND).
export const NOISE_NONE: i32 = 0;
export const NOISE_GAUSSIAN: i32 = 1;
export const NOISE_SALT_PEPPER: i32 = 2;
export const NOISE_SPECKLE: i32 = 3;
export const NOISE_POISSON: i32 = 4;
export const NOISE_MIXED: i32 = 5;
/** Synthetic camera noise (camera.ts) on a CAMERA_SHARE of the images, gaussian on the rest. */
export const NOISE_CAMERA: i32 = 6;

// The one export list of the engine: every function the host may call. All take pointers (byte
// addresses in this module's memory) and sizes; no typed arrays cross the boundary.
export { buildMode } from "./mode";
export { alloc, allocUncleared, heapTop, release, zero } from "./memory";
export * from "./abi";
export { gemm, gemmRef } from "./gemm";
export { gemmScratchBytes } from "./gemm_packed";
export { im2col, col2im } from "./im2col";
export { im2colChunkImages } from "./workspace";
export { conv2dForward, conv2dBackward, conv2dWorkspaceBytes, conv2dForwardWorkspaceBytes, conv2dPath, conv2dTakesWindow } from "./conv2d";
export {
  convTranspose2dForward, convTranspose2dBackward, convTranspose2dWorkspaceBytes, convTranspose2dForwardWorkspaceBytes, convTranspose2dWinograd,
} from "./conv_transpose2d";
export {
  reluForward, reluBackward, leakyReluForward, leakyReluBackward, sigmoidForward, sigmoidBackward,
} from "./act";
export { addForward, addBackward } from "./add";
export { mseForward, mseBackward, l1Forward, l1Backward } from "./loss";
export { adamStep, adamStepShare, zeroGrad, firstNonFinite } from "./adam";
export { rngSeed, rngGetState, rngSetState, uniform, below, fillUniform, fillNormal, fillSeeds } from "./rng";
export {
  noiseNone, noiseGaussian, noiseSaltPepper, noiseSpeckle, noisePoisson, noiseMixed, noiseImages, poisson,
} from "./noise";
export { noiseLevel, fillNoiseMap } from "./noise_level";
export {
  noiseCamera, noiseCameraRandom, noiseCameraRaw, cameraParams, cameraMosaic, cameraDemosaic, jpegRoundTrip,
} from "./camera";
export { modelForward, modelForwardPart, modelBackward, modelTrainSlice } from "./model";
export { peakMadd } from "./peak";

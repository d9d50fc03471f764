// The kernels' entry preconditions (assembly/checks.ts and the asserts at each kernel's entry) are
// live in this debug build (as-pect configs: "noAssert": false): a call that breaks one aborts, as
// expect(…).toThrow() sees. The release .wasm compiles them out (asconfig.json: "noAssert": true).
// Every call below fails its assert before it touches memory; the pointers only need to be valid
// for the calls that are expected not to throw.
import { gemm, gemmRef } from "../gemm";
import { gemmPackedA, gemmScratchBytes } from "../gemm_packed";
import { conv2dForward } from "../conv2d";
import { convTranspose2dForward } from "../conv_transpose2d";
import { winogradForward } from "../winograd";
import { im2col } from "../im2col";
import { reluForward } from "../act";
import { mseBackward } from "../loss";

const scratch = heap.alloc(gemmScratchBytes());
const buf = heap.alloc(1024); // 256 floats of operands for the calls that must pass

describe("kernel preconditions abort in the debug build", () => {
  it("a call that keeps them does not abort", () => {
    expect(() => { gemm(0, 0, 2, 2, 2, buf, 2, buf + 64, 2, buf + 128, 2, 0, scratch); }).not.toThrow();
    expect(() => { gemmRef(1, 1, 2, 3, 4, buf, 2, buf + 64, 4, buf + 128, 3, 0); }).not.toThrow();
    expect(() => { reluForward(buf, buf, 0); }).not.toThrow();
  });

  it("gemm / gemmRef: a leading dimension shorter than a stored row, a negative dimension", () => {
    expect(() => { gemm(0, 0, 2, 2, 2, buf, 1, buf, 2, buf, 2, 0, scratch); }).toThrow("lda < K");
    expect(() => { gemm(1, 0, 3, 2, 2, buf, 2, buf, 2, buf, 2, 0, scratch); }).toThrow("transposed A: lda < M");
    expect(() => { gemm(0, 1, 2, 2, 3, buf, 3, buf, 2, buf, 2, 0, scratch); }).toThrow("transposed B: ldb < K");
    expect(() => { gemm(0, 0, 2, 4, 2, buf, 2, buf, 4, buf, 3, 0, scratch); }).toThrow("ldc < N");
    expect(() => { gemmRef(0, 0, -1, 2, 2, buf, 2, buf, 2, buf, 2, 0); }).toThrow("M < 0");
  });

  it("gemm / gemmPackedA: scratch not 16-byte aligned; gemmPackedA's ldc below N rounded up to 8", () => {
    expect(() => { gemm(0, 0, 2, 2, 2, buf, 2, buf + 64, 2, buf + 128, 2, 0, scratch + 4); }).toThrow("scratch + 4");
    expect(() => { gemmPackedA(4, 5, 2, buf, buf, 8, buf, 5, scratch); }).toThrow("ldc 5 < 8");
  });

  it("conv shapes: a kernel larger than the padded image, a zero stride, output padding ≥ stride", () => {
    expect(() => { conv2dForward(buf, buf, buf, 0, 1, 1, 2, 2, 1, 5, 5, 1, 1, 0, 0, scratch); }).toThrow("5×5 kernel on 2×2");
    expect(() => { conv2dForward(buf, buf, buf, 0, 1, 1, 4, 4, 1, 3, 3, 0, 1, 1, 1, scratch); }).toThrow("stride 0");
    expect(() => { convTranspose2dForward(buf, buf, buf, 0, 1, 1, 2, 2, 1, 3, 3, 2, 2, 1, 1, 2, 0, scratch); }).toThrow("oph = stride");
    expect(() => { winogradForward(buf, buf, buf, 0, 1, 1, 4, 4, 1, scratch, 3); }).toThrow("tile side 3");
  });

  it("im2col: Ho, Wo not the conv's output size", () => {
    expect(() => { im2col(buf, buf, 1, 1, 4, 4, 16, 16, 3, 3, 1, 1, 1, 1, 3, 4); }).toThrow("Ho 3, not 4");
  });

  it("elementwise: n < 0; a loss gradient's divisor of 0", () => {
    expect(() => { reluForward(buf, buf, -4); }).toThrow("n = -4");
    expect(() => { mseBackward(buf, buf, buf, 4, 0, 1); }).toThrow("divisor 0");
  });
});

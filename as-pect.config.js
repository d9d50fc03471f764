// as-pect runs the kernel specs in assembly/__tests__ (npm run test:kernels). The compiler options
// come from as-pect.asconfig.json (strict SIMD build) or as-pect.relaxed.asconfig.json (relaxed).
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};

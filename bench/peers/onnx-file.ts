// Our network exported as ONNX into a file, for the ONNX Runtime peers (undefined until the exporter exists).
import type { Arch } from "../../host/core/arch.js";

export function exportOnnxFile(_arch: Arch, _dir: string): string | undefined {
  return undefined;
}

// An architecture and its weights as a standard ONNX model (opset 13, IR version 7), written as
// protobuf by hand: a small varint / length-delimited writer and the few messages a convolutional
// graph needs. Field numbers are onnx/onnx.proto's (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
// Pure (arch + weights in, bytes out): the CLI's `export --onnx` writes them, the page could too.
//
// The graph: input "input" float32 [batch, C, height, width], output "output" [batch, C', height,
// width] (C' = the last layer's channels: C, or one fewer for a network with a noise-level map, whose final
// `add with input` adds the input's first C' channels, a Slice),
// every parameter an initializer under its PyTorch state-dict name (Conv weights [out, in, kh, kw]
// and ConvTranspose weights [in, out, kh, kw] are ONNX's layouts already). Batch, height and width
// are named dynamic dimensions: the nets are fully convolutional, so any size the architecture maps
// onto itself runs (host/core/denoise.ts paddedSize finds the nearest one).
import { DEFAULT_SLOPE, type Arch } from "./arch.js";
import { planLayers, type LayerInfo, type TensorInfo } from "./plan.js";
import type { Tensor } from "./safetensors.js";

export const ONNX_OPSET = 13;
/** IR version 7 is the one opset 13 came with (ONNX 1.8). */
export const ONNX_IR_VERSION = 7;
/** Names of the graph's input and output values and of their dynamic dimensions. */
export const ONNX_INPUT = "input";
export const ONNX_OUTPUT = "output";
export const ONNX_DIMS = ["batch", "height", "width"] as const;

// onnx.proto enums.
const FLOAT = 1, // TensorProto.DataType.FLOAT (also TypeProto.Tensor.elem_type)
  INT64 = 7;
const ATTR_FLOAT = 1,
  ATTR_INT = 2,
  ATTR_INTS = 7; // AttributeProto.AttributeType

/**
 * A protobuf message under construction: fields are appended in order, a nested message is
 * finished first and written as length-delimited bytes. Only non-negative integers are written as
 * varints (all ONNX needs here: dims, versions, enum values, attribute ints).
 */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private cur = new Uint8Array(256);
  private pos = 0;
  private total = 0;

  private need(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.flush();
    this.cur = new Uint8Array(Math.max(256, n));
  }

  private flush(): void {
    if (this.pos > 0) this.chunks.push(this.cur.subarray(0, this.pos));
    this.total += this.pos;
    this.cur = new Uint8Array(256);
    this.pos = 0;
  }

  private rawVarint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new Error(`protobuf varint must be a non-negative safe integer, got ${v}`);
    this.need(10);
    while (v >= 0x80) {
      this.cur[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.cur[this.pos++] = v;
  }

  /** Wire types: 0 varint, 2 length-delimited, 5 fixed 32-bit. */
  private key(field: number, wire: 0 | 2 | 5): void {
    this.rawVarint(field * 8 + wire);
  }

  varint(field: number, v: number): this {
    this.key(field, 0);
    this.rawVarint(v);
    return this;
  }

  /** A repeated int64 written unpacked, one key per value (proto2's default for `repeated int64`). */
  varints(field: number, vs: readonly number[]): this {
    for (const v of vs) this.varint(field, v);
    return this;
  }

  float(field: number, f: number): this {
    this.key(field, 5);
    this.need(4);
    new DataView(this.cur.buffer, this.cur.byteOffset).setFloat32(this.pos, f, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(b.length);
    this.flush();
    this.chunks.push(b);
    this.total += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.total);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

const proto = () => new ProtoWriter();

// AttributeProto: name 1, f 2, i 3, ints 8, type 20.
const intAttr = (name: string, i: number) => proto().string(1, name).varint(20, ATTR_INT).varint(3, i);
const intsAttr = (name: string, ints: number[]) => proto().string(1, name).varint(20, ATTR_INTS).varints(8, ints);
const floatAttr = (name: string, f: number) => proto().string(1, name).varint(20, ATTR_FLOAT).float(2, f);

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
function node(opType: string, name: string, inputs: string[], output: string, attrs: ProtoWriter[] = []): ProtoWriter {
  const n = proto();
  for (const i of inputs) n.string(1, i);
  n.string(2, output).string(3, name).string(4, opType);
  for (const a of attrs) n.message(5, a);
  return n;
}

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9 (f32 little-endian). */
function initializer(t: TensorInfo, data: Float32Array): ProtoWriter {
  const raw = new Uint8Array(data.length * 4),
    dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return proto().varints(1, t.shape).varint(2, FLOAT).string(8, t.name).bytes(9, raw);
}

/** An int64 vector initializer (Slice's starts, ends, axes): TensorProto dims 1, data_type 2, name 8, raw_data 9. */
function int64Initializer(name: string, values: number[]): ProtoWriter {
  const raw = new Uint8Array(values.length * 8),
    dv = new DataView(raw.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return proto().varints(1, [values.length]).varint(2, INT64).string(8, name).bytes(9, raw);
}

/** ValueInfoProto (name 1, type 2) of a float tensor [batch, C, height, width]. */
function imageValue(name: string, channels: number): ProtoWriter {
  // TensorShapeProto.dim 1; Dimension: dim_value 1, dim_param 2.
  const shape = proto()
    .message(1, proto().string(2, ONNX_DIMS[0]))
    .message(1, proto().varint(1, channels))
    .message(1, proto().string(2, ONNX_DIMS[1]))
    .message(1, proto().string(2, ONNX_DIMS[2]));
  // TypeProto.tensor_type 1; TypeProto.Tensor: elem_type 1, shape 2.
  const type = proto().message(1, proto().varint(1, FLOAT).message(2, shape));
  return proto().string(1, name).message(2, type);
}

/** The ONNX node of one planned layer, reading `x` (and `x2` for add), writing `y`. */
function layerNode(l: LayerInfo, i: number, x: string, x2: string | undefined, y: string): ProtoWriter {
  const s = l.spec;
  if (s.type === "conv2d" || s.type === "convTranspose2d") {
    const g = l.geom!;
    const inputs = [x, l.weight!.name, ...(l.bias ? [l.bias.name] : [])];
    const attrs = [
      intsAttr("kernel_shape", [g.kh, g.kw]),
      intsAttr("strides", [g.sh, g.sw]),
      intsAttr("pads", [g.ph, g.pw, g.ph, g.pw]), // [h begin, w begin, h end, w end]
      intsAttr("dilations", [1, 1]),
      intAttr("group", 1),
    ];
    if (s.type === "convTranspose2d") attrs.push(intsAttr("output_padding", [g.oph, g.opw]));
    return node(s.type === "conv2d" ? "Conv" : "ConvTranspose", s.name, inputs, y, attrs);
  }
  const name = `${s.type}_${i}`;
  switch (s.type) {
    case "relu":
      return node("Relu", name, [x], y);
    case "leakyRelu":
      return node("LeakyRelu", name, [x], y, [floatAttr("alpha", s.slope ?? DEFAULT_SLOPE)]);
    case "sigmoid":
      return node("Sigmoid", name, [x], y);
    case "identity":
      return node("Identity", name, [x], y);
    case "add":
      return node("Add", name, [x, x2!], y);
  }
}

/** What the model's metadata_props and doc_string carry besides the graph. */
export interface OnnxInfo {
  /** ModelProto.producer_version (the package's version). */
  producerVersion?: string;
  /** Extra metadata_props entries (e.g. where the weights came from). */
  metadata?: Record<string, string>;
}

/**
 * The ONNX model of `arch` with `weights` (by PyTorch state-dict name; other tensors, such as
 * Adam state, are ignored) as initializers. Every parameter must be present with its exact shape.
 */
export function encodeOnnx(arch: Arch, weights: ReadonlyMap<string, Tensor>, info: OnnxInfo = {}): Uint8Array {
  const plan = planLayers(arch);
  const graph = proto();
  // Value names: the network input, each layer's output (the last one is the graph's output).
  const last = plan.layers.length - 1;
  const valueName = (i: number) =>
    i < 0 ? ONNX_INPUT : i === last ? ONNX_OUTPUT : `${plan.layers[i].spec.type}_${i}_out`;
  const channels = (i: number) => (i < 0 ? arch.input[0] : plan.layers[i].outShape[0]);
  const slices = new Set<number>(); // channel counts that have their Slice constants
  plan.layers.forEach((l, i) => {
    let x2 = l.from2 === undefined ? undefined : valueName(l.from2);
    const C = l.outShape[0];
    if (x2 !== undefined && channels(l.from2!) > C) {
      // An add of a tensor with more channels (the input with its noise-level map) takes its first C.
      const first = `${x2}_first_${C}`;
      graph.message(1, node("Slice", `slice_${i}`, [x2, "slice_zero", `slice_to_${C}`, "slice_axis_1"], first));
      slices.add(C);
      x2 = first;
    }
    graph.message(1, layerNode(l, i, valueName(l.from), x2, valueName(i)));
  });
  // A network without layers is the identity.
  if (last < 0) graph.message(1, node("Identity", "identity", [ONNX_INPUT], ONNX_OUTPUT));
  graph.string(2, arch.name);
  for (const t of plan.tensors) {
    const w = weights.get(t.name);
    if (!w) throw new Error(`missing tensor '${t.name}' (architecture ${arch.name} needs ${t.shape.join("×")})`);
    if (w.shape.join() !== t.shape.join() || w.data.length !== t.numel) {
      throw new Error(
        `tensor '${t.name}' has shape ${w.shape.join("×")}, architecture ${arch.name} needs ${t.shape.join("×")}`,
      );
    }
    graph.message(5, initializer(t, w.data));
  }
  if (slices.size) {
    graph.message(5, int64Initializer("slice_zero", [0])).message(5, int64Initializer("slice_axis_1", [1]));
    for (const C of slices) graph.message(5, int64Initializer(`slice_to_${C}`, [C]));
  }
  graph.string(10, `${arch.name}: ${arch.description}`);
  graph.message(11, imageValue(ONNX_INPUT, arch.input[0]));
  graph.message(12, imageValue(ONNX_OUTPUT, channels(last)));

  const model = proto().varint(1, ONNX_IR_VERSION).string(2, "denoise-wasm");
  if (info.producerVersion) model.string(3, info.producerVersion);
  model.string(
    6,
    `Denoiser ${arch.name}, trained at ${arch.input.join("×")} (C×H×W); fully convolutional: ` +
      `other heights and widths run where the architecture maps the size onto itself`,
  );
  model.message(7, graph);
  model.message(8, proto().string(1, "").varint(2, ONNX_OPSET)); // OperatorSetIdProto: domain 1, version 2
  const props: Record<string, string> = { arch: arch.name, arch_json: JSON.stringify(arch), ...info.metadata };
  for (const [k, v] of Object.entries(props)) model.message(14, proto().string(1, k).string(2, v)); // StringStringEntryProto
  return model.finish();
}

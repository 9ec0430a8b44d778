"""Export a trained face network to ONNX, for inference without TensorFlow.

    python -m ml.face.export [--model data/models/face/face_cnn_d.keras] [--out F.onnx] [--int8]

The job worker runs the face model with onnxruntime (``ml.face.predict``): importing
TensorFlow alone costs a process about 530 MB, more than every model's weights together.
The exported graph is the network of ``ml.face.model.build_model`` in float32 with each
BatchNorm folded into the convolution or dense layer before it and the dropouts left out
(the same function up to float rounding; a test compares it with the Keras model):

* input ``face``: float32 ``[n, 48, 48, 1]``, raw pixel values 0..255 (NHWC, as Keras);
* output ``logits``: ``[n, 7]`` (CLASS_NAMES order; softmax in ``ml.face.predict``);
* output ``features``: ``[n, 6, 6, C]``, the last convolutional block after its ReLU (NHWC);
* output ``cam_weights``: ``[n, C, 7]``, the gradient of each class's logit with respect to
  ``features``, which is the same at every position (global average pooling, then dense
  layers): Grad-CAM's channel weights, exact, with no automatic differentiation at run time.

``--int8`` also writes ``<stem>.int8.onnx``: the same graph with its convolutions quantized to
int8 (onnxruntime static quantization, QDQ, per-channel int8 weights in the reduced 7-bit range,
uint8 activations; the dense layers stay float32), calibrated on ``CALIBRATION_CROPS`` crops drawn with seed 0 from the
training part of FER2013 Training (never the validation part or PublicTest), each with the four
``flip-zoom`` views. On 2 cores the full-range int8 graph ran 2.5 times as fast as float32 on a CPU
with VNNI (the 7-bit one was not measured there), and the 7-bit one 1.3 times as fast on a CPU with AVX2 alone; ``model.json``'s ``graph`` names
the file the job worker runs (the model card has the measurement that chose it).

Why the reduced range: without VNNI (8-bit dot products), onnxruntime multiplies uint8 by int8 on
x86 with AVX2's ``vpmaddubsw``, which adds two products into a saturating 16-bit sum. With full
8-bit weights (255 x 127 x 2 > 32,767) that sum overflows, so the same graph gave other numbers
on an AMD EPYC with AVX2 than on the CPU it was measured on (300 PublicTest faces: 284 arg-max
agreed with float32, one probability moved by 0.58). With 7-bit weights (onnxruntime's reduced range,
-64..64: 255 x 64 x 2 = 32,640 < 32,767) no sum can overflow: every CPU computes the same exact integer products.

Only this command needs the ``onnx`` package and TensorFlow (and, for ``--int8``, the FER2013
data); running a graph needs ``onnxruntime`` alone.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

OPSET = 17
CALIBRATION_CROPS = 512
CALIBRATION_SEED = 0


def folded_weights(model) -> dict:
    """The float32 weights of a trained ``build_model`` network with BatchNorm folded:
    ``{"convs": [[(kernel [3,3,in,out], bias [out]), ...] per block], "fc": (w, b),
    "logits": (w, b)}``."""
    from ml.face.model import VARIANTS
    variant = model.name.removeprefix("face_")
    if variant not in VARIANTS:
        raise ValueError(f"{model.name}: not a ml.face.model.build_model network")
    widths, depths = VARIANTS[variant]

    def fold(layer_name, bn_name):
        bn = model.get_layer(bn_name)
        gamma, beta, mean, var = (np.asarray(v.numpy(), np.float64) for v in
                                  (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance))
        scale = gamma / np.sqrt(var + bn.epsilon)
        kernel = np.asarray(model.get_layer(layer_name).kernel.numpy(), np.float64)
        return (kernel * scale).astype(np.float32), (beta - mean * scale).astype(np.float32)

    convs = [[fold(f"b{s}c{j}_conv", f"b{s}c{j}_bn") for j in range(1, d + 1)]
             for s, d in enumerate(depths, start=1)]
    w, b = model.get_layer("logits").get_weights()
    return {"convs": convs, "fc": fold("fc", "fc_bn"), "logits": (np.asarray(w, np.float32), np.asarray(b, np.float32))}


def build_graph(weights: dict, name: str = "face"):
    """An ``onnx.ModelProto`` computing ``logits``, ``features`` and ``cam_weights`` (module doc)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ml.face import IMG_SIZE, NUM_CLASSES

    inits, nodes = [], []

    def const(nm, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        return nm

    const("scale", np.float32(1 / 127.5))
    const("offset", np.float32(-1.0))
    nodes += [helper.make_node("Transpose", ["face"], ["x_nchw"], perm=[0, 3, 1, 2]),
              helper.make_node("Mul", ["x_nchw", "scale"], ["x_scaled"]),
              helper.make_node("Add", ["x_scaled", "offset"], ["x0"])]
    x, size = "x0", IMG_SIZE
    blocks = weights["convs"]
    for s, block in enumerate(blocks, start=1):
        for j, (k, b) in enumerate(block, start=1):
            nm = f"b{s}c{j}"
            w = const(f"{nm}_w", k.transpose(3, 2, 0, 1).copy())   # Keras HWIO -> ONNX OIHW
            nodes += [helper.make_node("Conv", [x, w, const(f"{nm}_b", b)], [f"{nm}_conv"],
                                       kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                      helper.make_node("Relu", [f"{nm}_conv"], [f"{nm}_relu"])]
            x = f"{nm}_relu"
        if s < len(blocks):
            nodes.append(helper.make_node("MaxPool", [x], [f"b{s}_pool"], kernel_shape=[2, 2], strides=[2, 2]))
            x, size = f"b{s}_pool", size // 2
    channels = blocks[-1][-1][1].shape[0]
    w_fc, b_fc = weights["fc"]
    w_lo, b_lo = weights["logits"]
    nodes += [helper.make_node("Transpose", [x], ["features"], perm=[0, 2, 3, 1]),
              helper.make_node("GlobalAveragePool", [x], ["gap4"]),
              helper.make_node("Flatten", ["gap4"], ["gap"], axis=1),
              helper.make_node("Gemm", ["gap", const("fc_w", w_fc), const("fc_b", b_fc)], ["fc_pre"]),
              helper.make_node("Relu", ["fc_pre"], ["fc_relu"]),
              helper.make_node("Gemm", ["fc_relu", const("logits_w", w_lo), const("logits_b", b_lo)], ["logits"]),
              # d logit_c / d features[h, w, k] = sum_j w_fc[k, j] * [fc_pre_j > 0] * w_lo[j, c] / (H * W)
              helper.make_node("Greater", ["fc_pre", const("zero", np.float32(0))], ["fc_on_bool"]),
              helper.make_node("Cast", ["fc_on_bool"], ["fc_on"], to=TensorProto.FLOAT),
              helper.make_node("Unsqueeze", ["fc_on", const("axis1", np.array([1], np.int64))], ["fc_on3"]),
              helper.make_node("Mul", ["fc_on3", const("fc_w_gap", (w_fc / (size * size)).astype(np.float32))],
                               ["grad_fc"]),
              helper.make_node("MatMul", ["grad_fc", "logits_w"], ["cam_weights"])]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("face", TensorProto.FLOAT, ["n", IMG_SIZE, IMG_SIZE, 1])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", NUM_CLASSES]),
         helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", size, size, channels]),
         helper.make_tensor_value_info("cam_weights", TensorProto.FLOAT, ["n", channels, NUM_CLASSES])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="ml.face.export")
    model.ir_version = 8  # opset 17 and IR 8: readable by onnxruntime >= 1.12
    onnx.checker.check_model(model)
    return model


def export(keras_path, out_path=None) -> Path:
    """Write the ONNX graph of the Keras network at ``keras_path`` (default: beside it, ``.onnx``)."""
    import keras
    import onnx

    keras_path = Path(keras_path)
    out_path = Path(out_path) if out_path else keras_path.with_suffix(".onnx")
    model = keras.models.load_model(keras_path, compile=False)
    graph = build_graph(folded_weights(model), name=model.name)
    graph.doc_string = f"exported from {keras_path.name} by python -m ml.face.export"
    onnx.save(graph, out_path)
    return out_path


def calibration_views(n: int = CALIBRATION_CROPS, seed: int = CALIBRATION_SEED) -> np.ndarray:
    """float32 [4n, 48, 48, 1]: ``n`` crops drawn with ``seed`` from the training part of FER2013
    Training (``ml.face.train``'s split: the validation part is left out), each in the four
    ``flip-zoom`` views, as the worker feeds them."""
    from ml.face.features import to_model_input, tta_views
    from ml.face.offsets import training_split
    x_tr = training_split()[0]
    pick = np.random.default_rng(seed).choice(len(x_tr), n, replace=False)
    return tta_views(to_model_input(x_tr[pick][..., 0]), "flip-zoom").astype(np.float32)


def quantize(float_graph, out_path, views: np.ndarray, batch: int = 64) -> Path:
    """Write ``float_graph`` with int8 convolutions to ``out_path``, calibrated on ``views``
    (min-max ranges of the activations); weights in the reduced range (module doc)."""
    import tempfile
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"face": views[i:i + batch]} for i in range(0, len(views), batch)])

        def get_next(self):
            return next(self.batches, None)

    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(float_graph), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out_path), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv"], per_channel=True, reduce_range=True)
    return out_path


def main(argv=None) -> int:
    from ml.face import model_dir, shipped
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, help="the .keras network (default: the shipped one, model.json)")
    p.add_argument("--out", type=Path, help="the .onnx file (default: beside the network)")
    p.add_argument("--int8", action="store_true", help="also write <stem>.int8.onnx (needs the FER2013 data)")
    args = p.parse_args(argv)
    path = export(args.model or model_dir() / shipped()["file"], args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if args.int8:
        q = quantize(path, path.with_suffix(".int8.onnx"), calibration_views())
        print(f"wrote {q} ({q.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

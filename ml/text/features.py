"""Text pre-processing for the Big Five text model (pure Python + NumPy).

* :func:`tokenize` - lower-cased word / number / punctuation tokens.
* :class:`Vocabulary` - token <-> id map with reserved PAD (0) and OOV (1) ids.
* :func:`pad_sequences` - fixed-length id matrices (post-padding, head truncation).
* :func:`doc_features` - hand-crafted document statistics (function-word and
  pronoun ratios, punctuation, word length, ...), the network's second input.
* :func:`bow_features` - relative frequencies of the most frequent words, the
  network's third input.
* :func:`read_labelled_csv` / :func:`dev_split` - data loading and the fixed,
  seeded train / validation / test split of ``essays_dev.csv``.
"""
from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ml.text import LABEL_COLUMNS

PAD, OOV = "<pad>", "<oov>"
PAD_ID, OOV_ID = 0, 1

# Words (with inner apostrophes), numbers, and single punctuation marks.
_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+|[!?.,;:()\"-]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case tokens.

    >>> tokenize("I don't KNOW... 42 cats!")
    ["i", "don't", "know", ".", ".", ".", "42", "cats", "!"]
    """
    if not text:
        return []
    return _TOKEN_RE.findall(str(text).lower().translate(_APOSTROPHES))


class Vocabulary:
    """Token to id mapping; id 0 is padding, id 1 is every out-of-vocabulary token."""

    def __init__(self, tokens: Sequence[str] = ()):
        self.itos: list[str] = [PAD, OOV]
        self.stoi: dict[str, int] = {PAD: PAD_ID, OOV: OOV_ID}
        for tok in tokens:
            if tok not in self.stoi:
                self.stoi[tok] = len(self.itos)
                self.itos.append(tok)

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], max_size: int = 20000,
              min_count: int = 2) -> "Vocabulary":
        """Most frequent tokens first (ties broken alphabetically, so it is deterministic)."""
        counts: Counter = Counter()
        for toks in token_lists:
            counts.update(toks)
        items = sorted(((t, c) for t, c in counts.items() if c >= min_count),
                       key=lambda tc: (-tc[1], tc[0]))
        return cls([t for t, _ in items[: max(0, max_size - 2)]])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, OOV_ID) for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] if 0 <= i < len(self.itos) else OOV for i in ids]

    def to_json(self) -> list[str]:
        return list(self.itos[2:])

    @classmethod
    def from_json(cls, tokens: Sequence[str]) -> "Vocabulary":
        return cls(tokens)


def pad_sequences(seqs: Sequence[Sequence[int]], maxlen: int, value: int = PAD_ID) -> np.ndarray:
    """Right-pad with ``value`` / keep the first ``maxlen`` ids -> int32 [len(seqs), maxlen]."""
    out = np.full((len(seqs), maxlen), value, dtype=np.int32)
    for i, s in enumerate(seqs):
        s = list(s)[:maxlen]
        if s:
            out[i, : len(s)] = s
    return out


# --------------------------------------------------------------------------- #
# Hand-crafted document features
# --------------------------------------------------------------------------- #
# Small LIWC-style word classes written for this project (not the LIWC lexicon).
WORD_CLASSES: dict[str, frozenset] = {k: frozenset(v.split()) for k, v in {
    "i": "i me my mine myself i'm i've i'll i'd",
    "we": "we us our ours ourselves we're we've we'll we'd",
    "you": "you your yours yourself you're you've you'll you'd u",
    "shehe": "he she him her his hers himself herself he's she's",
    "they": "they them their theirs themselves they're they've they'll",
    "negation": "no not never none nothing nobody nowhere neither nor don't doesn't didn't "
                "can't cannot won't wouldn't shouldn't couldn't isn't aren't wasn't weren't "
                "haven't hasn't hadn't ain't",
    "article": "a an the",
    "preposition": "to of in for on with at by from up about into over after under between "
                   "through during without before around against",
    "conjunction": "and but or so because although though while if then yet whereas",
    "auxiliary": "am is are was were be been being have has had do does did will would "
                 "shall should can could may might must",
    "quantifier": "all some many much more most few lot lots every each several any",
    "tentative": "maybe perhaps guess probably possibly might seem seems somehow "
                 "wonder unsure kind sort whatever apparently",
    "certainty": "always never definitely certainly sure completely absolutely totally "
                 "clearly truly really obviously",
    "posemo": "love loved happy glad good great nice fun enjoy enjoyed excited awesome "
              "wonderful like liked best fine cool laugh beautiful hope hopefully",
    "negemo": "hate hated sad angry mad upset bad worst terrible awful hurt cry crying "
              "lonely stupid annoyed annoying boring bored sick",
    "anxiety": "worry worried worrying nervous afraid scared fear anxious stress stressed "
               "stressful panic tense",
    "swear": "damn hell shit fuck fucking crap sucks suck ass bitch",
    "social": "friend friends friendship people person guy guys girl girls boyfriend "
              "girlfriend roommate party talk talked talking call called family mom dad "
              "sister brother together",
    "cognitive": "think thought thinking know knew understand realize because reason "
                 "believe idea ideas consider question why",
    "perception": "see saw look looking hear heard listen listening feel feeling feels "
                  "felt touch music song",
    "work": "class classes study studying homework school work test exam grade grades "
            "professor college university read reading write writing",
    "leisure": "tv movie movies game games play playing sleep sleeping weekend music "
               "football party",
    "time": "now today tomorrow tonight yesterday week soon later time day night "
            "morning hour minutes",
    "body": "tired eat eating ate food hungry head eyes hair body hand hands",
    "religion": "god church pray prayer religion jesus lord faith",
    "sexual": "sex sexy kiss hot cute date dating",
    "filler": "um uh oh hmm hmmm well like yeah okay ok wow",
    "achieve": "goal goals achieve success successful win won try trying best better "
               "improve plan plans",
}.items()}

# Frequent English function words, one ratio each (a classic stylometric signal).
FUNCTION_WORDS = tuple(
    "the and to i of a my in that it is so me be have but this for just to not was "
    "with about am on like what do all it's i'm really don't know think can or "
    "because if he she they we you at get there time now will would should could "
    "going go feel want more out up when how much"
    .split()
)
FUNCTION_WORDS = tuple(dict.fromkeys(FUNCTION_WORDS))  # de-duplicate, keep order

DOC_FEATURE_NAMES: tuple[str, ...] = (
    ("log_words", "mean_word_len", "long_word_ratio", "type_token_ratio",
     "mean_sentence_len", "exclaim_ratio", "question_ratio", "comma_ratio",
     "paren_ratio", "ellipsis_ratio", "caps_ratio", "number_ratio")
    + tuple("class_" + k for k in WORD_CLASSES)
    + tuple("fw_" + w for w in FUNCTION_WORDS)
)


def doc_features(text: str, tokens: Sequence[str] | None = None) -> np.ndarray:
    """Hand-crafted style statistics of one document -> float32 [len(DOC_FEATURE_NAMES)]."""
    text = "" if text is None else str(text)
    toks = tokenize(text) if tokens is None else list(tokens)
    words = [t for t in toks if t[0].isalpha()]
    n_tok = max(len(toks), 1)
    n_w = max(len(words), 1)
    counts = Counter(words)
    sentences = max(sum(1 for t in toks if t in ".!?"), 1)
    letters = sum(1 for ch in text if ch.isalpha())
    caps = sum(1 for ch in text if ch.isupper())
    out = [
        math.log1p(len(words)),
        sum(len(w) for w in words) / n_w,
        sum(1 for w in words if len(w) > 6) / n_w,
        len(counts) / math.sqrt(n_w),  # length-robust lexical richness
        min(len(words) / sentences, 100.0) / 10.0,
        toks.count("!") / n_tok * 10,
        toks.count("?") / n_tok * 10,
        toks.count(",") / n_tok * 10,
        toks.count("(") / n_tok * 10,
        text.count("...") / n_tok * 10,
        caps / max(letters, 1),
        sum(1 for t in toks if t[0].isdigit()) / n_tok * 10,
    ]
    for members in WORD_CLASSES.values():
        out.append(sum(counts[w] for w in members) / n_w * 10)
    for w in FUNCTION_WORDS:
        out.append(counts[w] / n_w * 10)
    return np.asarray(out, dtype=np.float32)


def bow_features(token_ids: Sequence[int], size: int) -> np.ndarray:
    """Square-rooted relative frequencies of vocabulary ids 2..size+1 -> float32 [size].

    Ids are frequency-ranked by :meth:`Vocabulary.build`, so this is a bag of the
    ``size`` most frequent training tokens.
    """
    vec = np.zeros(size, dtype=np.float32)
    ids = np.asarray(token_ids, dtype=np.int64)
    ids = ids[(ids >= 2) & (ids < size + 2)] - 2
    if len(token_ids):
        np.add.at(vec, ids, 1.0)
        vec /= float(len(token_ids))
    return np.sqrt(vec) * 10.0


class Preprocessor:
    """Everything that turns raw text into the model's three inputs, saved as JSON."""

    def __init__(self, vocab: Vocabulary, maxlen: int = 800, bow_size: int = 2000,
                 feat_mean: np.ndarray | None = None, feat_std: np.ndarray | None = None):
        self.vocab = vocab
        self.maxlen = int(maxlen)
        self.bow_size = int(min(bow_size, max(len(vocab) - 2, 0)))
        n = len(DOC_FEATURE_NAMES)
        self.feat_mean = np.zeros(n, np.float32) if feat_mean is None else np.asarray(feat_mean, np.float32)
        self.feat_std = np.ones(n, np.float32) if feat_std is None else np.asarray(feat_std, np.float32)

    @classmethod
    def fit(cls, texts: Sequence[str], max_vocab: int = 20000, min_count: int = 2,
            maxlen: int = 800, bow_size: int = 2000) -> "Preprocessor":
        toks = [tokenize(t) for t in texts]
        vocab = Vocabulary.build(toks, max_size=max_vocab, min_count=min_count)
        feats = np.stack([doc_features(t, k) for t, k in zip(texts, toks)]) if texts else \
            np.zeros((0, len(DOC_FEATURE_NAMES)), np.float32)
        mean = feats.mean(0) if len(feats) else None
        std = np.maximum(feats.std(0), 1e-3) if len(feats) else None
        return cls(vocab, maxlen=maxlen, bow_size=bow_size, feat_mean=mean, feat_std=std)

    def transform(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        toks = [tokenize(t) for t in texts]
        ids = [self.vocab.encode(k) for k in toks]
        feats = np.stack([doc_features(t, k) for t, k in zip(texts, toks)]) if len(texts) else \
            np.zeros((0, len(DOC_FEATURE_NAMES)), np.float32)
        feats = np.clip((feats - self.feat_mean) / self.feat_std, -5.0, 5.0).astype(np.float32)
        bow = np.stack([bow_features(i, self.bow_size) for i in ids]) if len(texts) else \
            np.zeros((0, self.bow_size), np.float32)
        return {"tokens": pad_sequences(ids, self.maxlen), "doc": feats, "bow": bow}

    def to_dict(self) -> dict:
        return {"maxlen": self.maxlen, "bow_size": self.bow_size,
                "doc_feature_names": list(DOC_FEATURE_NAMES),
                "feat_mean": [round(float(x), 6) for x in self.feat_mean],
                "feat_std": [round(float(x), 6) for x in self.feat_std],
                "vocab": self.vocab.to_json()}

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessor":
        if list(d.get("doc_feature_names", DOC_FEATURE_NAMES)) != list(DOC_FEATURE_NAMES):
            raise ValueError("preprocessing file was written for different document features")
        return cls(Vocabulary.from_json(d["vocab"]), maxlen=d["maxlen"], bow_size=d["bow_size"],
                   feat_mean=np.asarray(d["feat_mean"]), feat_std=np.asarray(d["feat_std"]))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Preprocessor":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
def read_labelled_csv(path) -> tuple[list[str], list[str], np.ndarray]:
    """Read a CSV with TEXT and cEXT..cOPN (y/n) -> (ids, texts, float32 labels [N, 5]).

    Other columns are ignored; a missing ``id`` column gives row numbers as ids.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    ids, texts, labels = [], [], []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("TEXT",) + LABEL_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        for i, row in enumerate(reader):
            ids.append(row.get("id") or str(i))
            texts.append(row["TEXT"] or "")
            lab = []
            for c in LABEL_COLUMNS:
                v = (row[c] or "").strip().lower()
                if v not in ("y", "n", "1", "0"):
                    raise ValueError(f"{path}: row {i + 2}: {c} must be y/n, got {row[c]!r}")
                lab.append(1.0 if v in ("y", "1") else 0.0)
            labels.append(lab)
    return ids, texts, np.asarray(labels, dtype=np.float32).reshape(-1, len(LABEL_COLUMNS))


SPLIT_SEED = 20261121
TEST_FRACTION = 0.2
VAL_FRACTION = 0.15  # of the essays that are not in the test part


def dev_split(ids: Sequence[str], seed: int = SPLIT_SEED) -> dict[str, np.ndarray]:
    """Fixed split of essay ids -> {"train", "val", "test"} row indices.

    The order depends only on the sorted ids and ``seed`` (not on row order), so
    the 20% ``test`` part is the same wherever the CSV comes from.
    """
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    perm = np.random.default_rng(seed).permutation(len(order))
    shuffled = np.asarray(order, dtype=np.int64)[perm]
    n_test = int(round(len(ids) * TEST_FRACTION))
    n_val = int(round((len(ids) - n_test) * VAL_FRACTION))
    return {"test": np.sort(shuffled[:n_test]),
            "val": np.sort(shuffled[n_test:n_test + n_val]),
            "train": np.sort(shuffled[n_test + n_val:])}

"""The shared contract of ml/: one model registry, one prediction type, settings passed in."""
import ast
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import ml
from ml import registry
from ml.types import Probabilities

ML_DIR = Path(ml.__file__).parent


# ----------------------------------------------------------------------------- registry
def test_registry_loads_each_key_once_under_concurrency():
    reg = registry.Registry()
    calls = []

    def loader():
        calls.append(1)
        time.sleep(0.05)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(reg.get("k", loader))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert "k" in reg and reg.keys() == ["k"]
    reg.clear()
    assert "k" not in reg and reg.get("k", loader) is not got[0] and len(calls) == 2


def test_registry_loads_different_keys_concurrently():
    """A lock per key: loader "a" waits until loader "b" has started, which a single global
    lock would never allow (the wait would time out)."""
    reg = registry.Registry()
    b_started = threading.Event()
    out = {}

    def load_a():
        assert b_started.wait(5), "the second model could not load while the first was loading"
        return "A"

    def load_b():
        b_started.set()
        return "B"

    ta = threading.Thread(target=lambda: out.setdefault("a", reg.get("a", load_a)))
    ta.start()
    time.sleep(0.05)
    out["b"] = reg.get("b", load_b)
    ta.join(10)
    assert out == {"a": "A", "b": "B"}


def test_registry_failed_load_is_retried():
    reg = registry.Registry()

    def boom():
        raise OSError("disk")

    with pytest.raises(OSError):
        reg.get("m", boom)
    assert "m" not in reg and reg.get("m", lambda: 3) == 3


# ----------------------------------------------------------------------------- Probabilities
def test_probabilities_helpers():
    p = Probabilities(("a", "b", "c"), [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    assert len(p) == 2 and p.values.dtype == np.float32 and p.classes == ("a", "b", "c")
    assert p.row_dict(1) == pytest.approx({"a": 0.6, "b": 0.1, "c": 0.3})
    assert [list(d) for d in p.as_dicts()] == [["a", "b", "c"]] * 2
    assert p.argmax_labels() == ["b", "a"] and p.argmax().tolist() == [1, 0]
    assert p.mean() == pytest.approx({"a": 0.4, "b": 0.3, "c": 0.3})
    assert np.asarray(p) is p.values and np.concatenate([p, p]).shape == (4, 3)
    assert p.take([1]).row_dict(0) == p.row_dict(1)
    with pytest.raises(ValueError):
        p.values[0, 0] = 1.0  # read-only
    with pytest.raises(Exception):
        p.classes = ("x",)  # frozen
    with pytest.raises(ValueError):
        Probabilities(("a", "b"), np.zeros((2, 3)))
    empty = Probabilities(("a", "b"), [])
    assert len(empty) == 0 and empty.values.shape == (0, 2) and empty.argmax_labels() == []
    with pytest.raises(ValueError):
        empty.mean()


# ----------------------------------------------------------------------------- settings
def test_configure_validates_and_ignores_unset_values():
    from ml.runtime import reset
    reset()  # whatever an earlier test configured
    try:
        s = ml.configure(voice_ct2_compute="int8_float32", voice_ct2_threads=3, tf_threads=None)
        assert s.voice_ct2_compute == "int8_float32" and s.voice_ct2_threads == 3 and s.tf_threads is None
        assert ml.configure(voice_ct2_compute="").voice_ct2_compute == "int8_float32"  # empty: unchanged
        assert ml.settings() is not s and ml.settings() == s
        with pytest.raises(ValueError):
            ml.configure(voice_ct2_compute="fp8")
        with pytest.raises(ValueError):
            ml.configure(voice_ct2_threads=0)
        with pytest.raises(TypeError):
            ml.configure(face_precision="float32")  # gone: the face model runs in float32 (onnxruntime)
        assert ml.settings().voice_ct2_compute == "int8_float32"  # a refused change leaves the settings alone
    finally:
        reset()
    assert ml.settings().voice_ct2_compute == "int8"


def _environment_reads(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            yield node.lineno


def test_ml_reads_no_environment():
    """No module in ml/ touches os.environ / os.getenv."""
    allowed = set()
    found = []
    for path in sorted(ML_DIR.rglob("*.py")):
        rel = path.relative_to(ML_DIR).as_posix()
        tree = ast.parse(path.read_text())
        for lineno in _environment_reads(tree):
            owner = next((fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                          and fn.lineno <= lineno <= fn.end_lineno), None)
            if (rel, owner) not in allowed:
                found.append(f"{rel}:{lineno} ({owner or 'module level'})")
    assert not found, found


def test_no_module_level_model_caches_or_locks():
    """Models are cached only in ml.registry: no module of ml/ defines a module-level lock,
    dict cache or functools cache besides the registry and the settings' own lock."""
    allowed = {("runtime.py", "_lock")}
    found = []
    for path in sorted(ML_DIR.rglob("*.py")):
        rel = path.relative_to(ML_DIR).as_posix()
        if rel == "registry.py":
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Dict, ast.Call)):
                src = ast.unparse(node.value)
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if ("Lock(" in src or src == "{}") and not all((rel, n) in allowed for n in names):
                    found.append(f"{rel}: {ast.unparse(node)}")
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    if "cache" in ast.unparse(dec) and node.name != "cpu_has_bf16":  # a CPU flag, not a model
                        found.append(f"{rel}: @{ast.unparse(dec)} {node.name}")
    assert not found, found


def test_importing_ml_sets_no_tensorflow_log_level():
    import subprocess
    import sys
    code = ("import os, ml, ml.face, ml.voice, ml.text, ml.face.predict, ml.text.predict, ml.voice.predict;"
            "assert 'TF_CPP_MIN_LOG_LEVEL' not in os.environ")
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ml.ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]

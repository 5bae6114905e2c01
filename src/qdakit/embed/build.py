"""Building the fast embedders offline from the bundled model: the ONNX int8 export and the
model2vec static distillation, into :func:`cache_dir`, each with a manifest naming its source.

A build writes into a temporary folder and renames it into place, so an interrupted build leaves
nothing half-made behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from qdakit.embed.base import DEFAULT_MODEL_ID, default_model_path
from qdakit.errors import QdakitError

_MANIFEST = "qdakit-build.json"


class EmbedderBuildError(QdakitError, RuntimeError):
    """A fast embedder could not be built or loaded (a package is missing, or the build failed)."""


def cache_dir() -> Path:
    """Where built models live: ``$QDAKIT_CACHE``, else ``$XDG_CACHE_HOME/qdakit``, else ``~/.cache/qdakit``."""
    if os.environ.get("QDAKIT_CACHE"):
        return Path(os.environ["QDAKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "qdakit"


def model_dir(kind: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The folder of a built model: ``<cache_dir>/models/<kind>``."""
    if kind not in ("static", "onnx"):
        raise ValueError(f"kind={kind!r}: only 'static' and 'onnx' models are built; use one of them")
    return Path(root) if root is not None else cache_dir() / "models" / kind


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise EmbedderBuildError(
            f"the {extra} embedder needs the package {module.split('.')[0]!r}, which is not installed; "
            f"install it with `pip install qdakit[scale]` (or `pip install {module.split('.')[0]}`), "
            "or use --embedder minilm") from None


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any]:
    f = folder / _MANIFEST
    if not f.is_file():
        raise EmbedderBuildError(
            f"{folder}: no built model here (no {_MANIFEST}); build one with `qdakit embedder build`")
    return json.loads(f.read_text(encoding="utf-8"))


def _finish_build(tmp: Path, target: Path, manifest: dict[str, Any], weights: str) -> Path:
    manifest["weights_sha256"] = _file_hash(tmp / weights)
    manifest["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(target.name + f".old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# --------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------
def build_static(out: str | os.PathLike[str] | None = None, *, pca_dims: int = 256,
                 token_remove_pattern: str | None = r"\[unused\d+\]", source: str | None = None) -> Path:
    """Distil model2vec static embeddings from the bundled model (offline, about 20 s on 2 cores).

    Every token of the model's vocabulary is passed through the model once; its
    output vector, reduced by PCA to ``pca_dims`` and weighted (SIF), becomes
    that token's static vector. A text's vector is then the mean of its
    tokens' vectors.

    Parameters
    ----------
    out : folder to write (default :func:`model_dir` ``("static")``); replaced if present
    pca_dims : dimensions kept by PCA
    token_remove_pattern : regex of vocabulary tokens to leave out (tests keep a few
        hundred tokens to build in a second)
    source : a sentence-transformers model folder (default: the bundled model)

    Returns
    -------
    Path of the built model folder.
    """
    _offline()
    _require("skeletoken", "static")
    distill = _require("model2vec.distill", "static").distill
    src = str(source or default_model_path())
    target = model_dir("static", out)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=_ensure(target.parent)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # third-party deprecation chatter during the one-off build
            model = distill(model_name=src, pca_dims=pca_dims, token_remove_pattern=token_remove_pattern)
        model.save_pretrained(str(tmp))
        return _finish_build(tmp, target, {"kind": "static", "source": DEFAULT_MODEL_ID if source is None
                                           else str(source), "pca_dims": pca_dims,
                                           "dim": int(model.dim), "token_remove_pattern": token_remove_pattern,
                                           "model2vec": _version("model2vec")}, "model.safetensors")
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, QdakitError):
            raise
        raise EmbedderBuildError(f"building the static embedder from {src} failed: {exc}") from exc


def build_onnx(out: str | os.PathLike[str] | None = None, *, per_channel: bool = True,
               opset: int = 17, source: str | None = None) -> Path:
    """Export the bundled model to ONNX and quantise it to int8 (offline, a few seconds).

    The exported graph includes mean pooling and L2 normalisation, so its
    output is the sentence embedding. Weights are quantised with
    ``onnxruntime.quantization.quantize_dynamic(..., per_channel=True)``:
    one scale per output channel keeps the vectors within cosine ~0.99 of the
    torch model, where one scale per tensor loses accuracy.

    Returns
    -------
    Path of the built model folder (``model.onnx`` and the tokenizer files).
    """
    _offline()
    _require("onnx", "onnx")
    quant = _require("onnxruntime.quantization", "onnx")
    import torch
    from transformers import AutoModel, AutoTokenizer

    src = Path(source or default_model_path())
    target = model_dir("onnx", out)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=_ensure(target.parent)))
    try:
        model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
        tok = AutoTokenizer.from_pretrained(str(src))
        max_len = _max_seq_length(src, tok)

        class _Pooled(torch.nn.Module):
            def __init__(self, m: Any) -> None:
                super().__init__()
                self.m = m

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(h.dtype)
                e = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(e, dim=1)

        enc = tok(["a short text", "and a somewhat longer second text"], padding=True, return_tensors="pt")
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
            torch.onnx.export(_Pooled(model), tuple(enc[n] for n in names), str(tmp / "fp32.onnx"),
                              input_names=names, output_names=["embedding"], dynamic_axes=axes,
                              opset_version=opset, dynamo=False)
        quant.quantize_dynamic(str(tmp / "fp32.onnx"), str(tmp / "model.onnx"), per_channel=per_channel,
                               weight_type=quant.QuantType.QInt8)
        (tmp / "fp32.onnx").unlink()
        tok.save_pretrained(str(tmp))
        return _finish_build(tmp, target, {"kind": "onnx", "source": DEFAULT_MODEL_ID if source is None
                                           else str(source), "per_channel": per_channel, "opset": opset,
                                           "max_seq_length": max_len, "dim": int(model.config.hidden_size),
                                           "onnxruntime": _version("onnxruntime")}, "model.onnx")
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, QdakitError):
            raise
        raise EmbedderBuildError(f"building the ONNX embedder from {src} failed: {exc}") from exc


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _max_seq_length(src: Path, tok: Any) -> int:
    cfg = src / "sentence_bert_config.json"
    if cfg.is_file():
        return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
    return int(min(getattr(tok, "model_max_length", 512), 512))

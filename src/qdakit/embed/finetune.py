"""Contrastive few-shot fine-tuning of the sentence encoder on a project's own codings (SetFit style).

Opt-in: :func:`fine_tuned_embedder` returns an embedder whose model was fine-tuned so that two
coded segments' cosine similarity approaches the Jaccard overlap of their code sets. Pass it
to :class:`~qdakit.suggest.CodeSuggester` as its embedder; the logistic model on top is
unchanged. The model id carries a hash of the codings, the base model and the settings, so
embedding caches never mix a fine-tuned model with another; with ``cache_dir`` the fine-tuned
model is saved there under that hash and a re-run with the same codings loads it instead of
training again.

Pairs (:func:`contrastive_pairs`): for each coded segment, ``pairs_per_text`` partners, half
drawn among the segments sharing one of its codes, half at random; the target is the Jaccard
overlap of the two code sets. One epoch, AdamW, linear warm-up and decay, texts cut to
``max_len`` tokens while training (never when embedding).

Cost: measured on shuffle_music (627 coded answers, 4 pairs each, 2,508 pairs, 157 steps) on
one busy CPU thread: about 4 minutes per fine-tuning. On that data set it raised the default
suggester's mean kappa (see the README, "Code suggestions").

Examples
--------
>>> A, B, target = contrastive_pairs([{"cost"}, {"cost", "time"}, {"time"}], 2, seed=0)
>>> len(A), float(target.max()) <= 1.0
(6, True)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdakit.embed.base import text_hash
from qdakit.embed.sentence import WEIGHTS_RECORD, SentenceTransformerEmbedder, folder_digest
from qdakit.errors import QdakitError


class FineTuneError(QdakitError, ValueError):
    """The codings cannot drive a fine-tuning (too few coded segments, unknown segment ids)."""


def contrastive_pairs(labels: Sequence[set[str]], pairs_per_text: int, *,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``(A, B)`` into ``labels`` and their targets (Jaccard overlap of the code sets).

    Each text gets ``pairs_per_text`` partners: the even-numbered ones share one of its codes
    (a code drawn at random, then a segment holding it), the others are drawn at random.
    """
    n = len(labels)
    if n < 2:
        raise FineTuneError(f"{n} coded segment(s): fine-tuning needs at least 2; code more segments first")
    rng = np.random.default_rng(seed)
    holders: dict[str, np.ndarray] = {}
    for code in sorted(set().union(*labels)):
        holders[code] = np.array([i for i, lab in enumerate(labels) if code in lab])
    A, B = [], []
    for i, lab in enumerate(labels):
        own = sorted(lab)
        for k in range(pairs_per_text):
            j = -1
            if k % 2 == 0 and own:
                cand = holders[own[int(rng.integers(len(own)))]]
                cand = cand[cand != i]
                if len(cand):
                    j = int(cand[int(rng.integers(len(cand)))])
            if j < 0:
                j = int(rng.integers(n - 1))
                j += j >= i  # any other segment
            A.append(i)
            B.append(j)
    target = np.array([len(labels[a] & labels[b]) / max(1, len(labels[a] | labels[b]))
                       for a, b in zip(A, B, strict=True)])
    return np.array(A), np.array(B), target


def codings_hash(texts: Sequence[str], labels: Sequence[set[str]], base_id: str, settings: dict[str, Any]) -> str:
    """12 hex digits identifying the codings (texts and their codes), the base model and the settings."""
    items = sorted((text_hash(t), sorted(lab)) for t, lab in zip(texts, labels, strict=True))
    blob = json.dumps([base_id, settings, items], sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


def _train(st: Any, texts: Sequence[str], A: np.ndarray, B: np.ndarray, target: np.ndarray, *, lr: float,
           batch_size: int, max_len: int, seed: int, show_progress: bool) -> Any:
    import torch
    import torch.nn.functional as F
    from tqdm import tqdm

    torch.manual_seed(seed)
    st = copy.deepcopy(st)
    window, st.max_seq_length = st.max_seq_length, max_len
    st.train()
    opt = torch.optim.AdamW(st.parameters(), lr=lr, weight_decay=0.01)
    steps = int(np.ceil(len(A) / batch_size))
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    order = np.random.default_rng(seed).permutation(len(A))
    dev = st.device

    def feats(batch: list[str]) -> dict[str, Any]:
        return {k: (v.to(dev) if hasattr(v, "to") else v) for k, v in st.preprocess(batch).items()}

    for s in tqdm(range(steps), desc="fine-tuning the encoder", unit="step", disable=not show_progress):
        idx = order[s * batch_size:(s + 1) * batch_size]
        ea = st(feats([texts[a] for a in A[idx]]))["sentence_embedding"]
        eb = st(feats([texts[b] for b in B[idx]]))["sentence_embedding"]
        y = torch.tensor(target[idx], dtype=torch.float32, device=dev)
        loss = F.mse_loss(F.cosine_similarity(ea, eb), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    st.eval()
    st.max_seq_length = window
    return st


def _save_quietly(st: Any, folder: Path) -> None:
    """Save the model atomically (a temporary folder beside it, renamed when complete), without
    transformers' own "Writing model shards" bar; a crash never leaves a half-written model to load."""
    import shutil
    import tempfile

    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        st.save(str(tmp))
        (tmp / WEIGHTS_RECORD).write_text(folder_digest(tmp) + "\n", encoding="ascii")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it 0700; the folder is the user's, as any other
        try:
            os.replace(tmp, folder)
        except OSError:  # another run saved the same model meanwhile: keep theirs
            if not (folder / "config.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if was_enabled:
            hf_logging.enable_progress_bar()


def check_weights(folder: Path) -> None:
    """Refuse a saved fine-tuned model whose files are not those written when it was trained.

    The digest recorded at training (:data:`WEIGHTS_RECORD`) must match the
    folder's content; a folder saved before the record existed gets it now
    (trusted on first use).
    """
    record = folder / WEIGHTS_RECORD
    found = folder_digest(folder)
    if not record.is_file():
        record.write_text(found + "\n", encoding="ascii")
        return
    expected = record.read_text(encoding="ascii").strip()
    if expected != found:
        raise FineTuneError(f"{folder}: the fine-tuned model's files changed since it was trained (recorded "
                            f"sha256 {expected[:12]}, found {found[:12]}); they are not used. Delete the folder "
                            "to train the model again from the codings.")


def fine_tuned_embedder(segments: pd.DataFrame, codings: pd.DataFrame,
                        base: SentenceTransformerEmbedder | None = None, *,
                        cache_dir: str | os.PathLike[str] | None = None, pairs_per_text: int = 4,
                        max_len: int = 64, lr: float = 2e-5, batch_size: int = 16, seed: int = 0,
                        show_progress: bool = True) -> SentenceTransformerEmbedder:
    """An embedder fine-tuned on the human codings (one epoch of SetFit-style contrastive pairs).

    Parameters
    ----------
    segments : DataFrame with ``id`` and ``text``
    codings : DataFrame with ``segment_id`` and ``code`` (the human codings to learn from)
    base : the embedder to start from (default: the bundled all-MiniLM-L6-v2)
    cache_dir : folder where the fine-tuned model is saved under its hash and found again
    pairs_per_text, max_len, lr, batch_size, seed : the training settings (part of the hash)
    show_progress : a progress bar over the training steps

    Returns
    -------
    SentenceTransformerEmbedder whose ``model_id`` is ``<base id>+ft-<hash>``.
    """
    base = base if base is not None else SentenceTransformerEmbedder()
    missing = set(codings["segment_id"]) - set(segments["id"])
    if missing:
        raise FineTuneError(f"{len(missing)} coding(s) name segments not in `segments` (e.g. "
                            f"{sorted(map(str, missing))[0]!r}); pass the segments the codings refer to")
    by_seg = codings.groupby("segment_id")["code"].apply(lambda c: set(map(str, c)))
    text_of = segments.set_index("id")["text"]
    kept = [sid for sid in by_seg.index if str(text_of[sid]).strip()]
    texts = [str(text_of[sid]) for sid in kept]
    labels = [by_seg[sid] for sid in kept]
    settings = {"pairs_per_text": pairs_per_text, "max_len": max_len, "lr": lr, "batch_size": batch_size,
                "seed": seed, "loss": "cosine-mse-jaccard", "epochs": 1}
    h = codings_hash(texts, labels, base.model_id, settings)
    model_id = f"{base.model_id}+ft-{h}"
    folder = None if cache_dir is None else Path(cache_dir) / f"ft-{h}"
    if folder is not None and (folder / "config.json").exists():
        check_weights(folder)
        return SentenceTransformerEmbedder(folder, device=base.device, batch_size=base.batch_size,
                                           max_seq_length=base.max_seq_length, model_id=model_id)
    A, B, target = contrastive_pairs(labels, pairs_per_text, seed=seed)
    st = _train(base._load(), texts, A, B, target, lr=lr, batch_size=batch_size, max_len=max_len, seed=seed,
                show_progress=show_progress)
    if folder is not None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _save_quietly(st, folder)
    out = SentenceTransformerEmbedder(folder, device=base.device, batch_size=base.batch_size,
                                      max_seq_length=base.max_seq_length, model_id=model_id)
    out._st = st
    return out

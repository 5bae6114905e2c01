"""Models are known by their content: embeddings never cross from one model to another saved in one place.

Issue 28: ``--model ./m`` for one model, then for another saved at ``./m``,
reused the first model's embeddings and checkpoints; replaced fine-tuned
weights were used silently; the fine-tuned folder was created 0700.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from qdakit.embed import finetune
from qdakit.embed.finetune import FineTuneError, fine_tuned_embedder
from qdakit.embed.sentence import WEIGHTS_RECORD, SentenceTransformerEmbedder, folder_digest


def _model(folder: Path, weights: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def test_a_local_model_is_keyed_by_its_content_not_its_path(tmp_path: Path) -> None:
    m = _model(tmp_path / "m", b"first model's weights")
    first = SentenceTransformerEmbedder(m).model_id
    assert first.startswith(f"{m}#") and first == SentenceTransformerEmbedder(m).model_id
    _model(m, b"another model, saved in the same place")
    second = SentenceTransformerEmbedder(m).model_id
    assert second.startswith(f"{m}#") and second != first  # its own cache entries and suggester id
    assert SentenceTransformerEmbedder(m, max_seq_length=128).model_id == f"{second}@128"
    assert SentenceTransformerEmbedder().model_id == "sentence-transformers/all-MiniLM-L6-v2"  # by name


def _codings() -> tuple[pd.DataFrame, pd.DataFrame]:
    segs = pd.DataFrame({"id": ["s0", "s1"], "text": ["We plan in May.", "Money was short."]})
    return segs, pd.DataFrame({"segment_id": ["s0", "s1"], "code": ["plans", "money"]})


def test_replaced_fine_tuned_weights_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finetune, "codings_hash", lambda *a: "abc123")
    folder = _model(tmp_path / "ft-abc123", b"trained weights")
    (folder / WEIGHTS_RECORD).write_text(folder_digest(folder) + "\n", encoding="ascii")
    segs, cod = _codings()
    emb = fine_tuned_embedder(segs, cod, cache_dir=tmp_path, show_progress=False)
    assert Path(emb.model) == folder and not emb.loaded  # found, checked, not trained again
    (folder / "model.safetensors").write_bytes(b"someone else's weights")
    with pytest.raises(FineTuneError, match=r"ft-abc123: the fine-tuned model's files changed since it was trained"):
        fine_tuned_embedder(segs, cod, cache_dir=tmp_path, show_progress=False)


def test_a_folder_saved_before_the_record_is_trusted_once_then_checked(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finetune, "codings_hash", lambda *a: "old000")
    folder = _model(tmp_path / "ft-old000", b"weights from an older qdakit")
    segs, cod = _codings()
    fine_tuned_embedder(segs, cod, cache_dir=tmp_path, show_progress=False)
    assert (folder / WEIGHTS_RECORD).read_text(encoding="ascii").strip() == folder_digest(folder)
    (folder / "model.safetensors").write_bytes(b"changed")
    with pytest.raises(FineTuneError):
        fine_tuned_embedder(segs, cod, cache_dir=tmp_path, show_progress=False)


def test_the_saved_model_folder_follows_the_umask(tmp_path: Path) -> None:
    class Saver:
        def save(self, path: str) -> None:
            _model(Path(path), b"w")

    old = os.umask(0o022)
    try:
        finetune._save_quietly(Saver(), tmp_path / "ft-x")
    finally:
        os.umask(old)
    folder = tmp_path / "ft-x"
    assert (folder.stat().st_mode & 0o777) == 0o755
    assert (folder / WEIGHTS_RECORD).read_text(encoding="ascii").strip() == folder_digest(folder)

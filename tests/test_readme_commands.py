"""The README's command lines run as printed, in order, against a fresh copy of the example study.

Every ``qdakit ...`` line of a fenced ``sh``/``bash``/``console`` block of README.md (and of any
``docs/**/*.md`` page) is run through the real entry point (:func:`qdakit.cli.main`, so option
handling and error lines are the user's), in a sandbox folder that holds a copy of
``examples/`` plus the files the README's "your own study" sections name (``transcripts/``,
``participants.csv``, ``fg/``, ``codebook.yaml``, ...), copied from the example study. Each
block is one shell session: ``export VAR=value`` holds for the rest of its block, ``cmd && cmd``
runs both, globs are expanded, comments dropped. Every command must exit 0.

A block a test cannot run (a server, a download) is preceded by ``<!-- not-run: reason -->``;
keep that rare. The embedding model is the deterministic fake embedder (the model adds
nothing to whether a command works); the real model runs in ``tests/cli/test_cli.py``'s demo.
"""

from __future__ import annotations

import glob
import io
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import EXAMPLES, ROOT

NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # 1-based line of the opening fence
    commands: tuple[str, ...]  # shell lines (continuations joined, comments kept for shlex)
    skip: str | None  # the reason of a not-run marker


def _pages() -> list[Path]:
    docs = sorted((ROOT / "docs").glob("**/*.md")) if (ROOT / "docs").is_dir() else []
    return [ROOT / "README.md", *docs]


def _blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            i += 1
            continue
        lang, start = m.group(1), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if lang not in ("sh", "bash", "console", "shell"):
            continue
        prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        marker = NOT_RUN.search(prev)
        joined: list[str] = []
        for raw in body:
            line = raw[2:] if lang == "console" and raw.startswith("$ ") else raw
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + line.strip()
            else:
                joined.append(line.strip())
        cmds = tuple(c for c in joined if c.startswith(("qdakit ", "export ")) or c == "qdakit")
        if any(c.startswith("qdakit") for c in cmds):
            out.append(Block(page.relative_to(ROOT).as_posix(), start + 1, cmds, marker.group(1) if marker else None))
    return out


BLOCKS = [b for page in _pages() for b in _blocks(page)]


def _sandbox(root: Path) -> Path:
    """A folder as a researcher following the README would have it."""
    shutil.copytree(EXAMPLES.parent, root / "examples")
    study = root / "examples" / "study"
    shutil.copytree(study / "interviews", root / "transcripts")
    shutil.copy(study / "participants.csv", root / "participants.csv")
    shutil.copytree(study / "focus_group", root / "fg")
    shutil.copy(study / "codebook.yaml", root / "codebook.yaml")
    shutil.copytree(study / "codings", root / "codings")
    shutil.copytree(study / "interviews", root / "archive")  # a batch of the same kind of files
    (root / "private").mkdir()
    (root / "demo-output").mkdir()
    _example_project(root / "study.qdakit")  # the project the per-feature sections call study.qdakit
    _exchange_files(root)
    (root / "themes.yaml").write_text(
        "themes:\n  - name: Working together\n    codes: [Communication, Broad participation]\n"
        "  - name: Means\n    codes: [Balance of resources]\n", encoding="utf-8")
    import pandas as pd

    pd.DataFrame({"ResponseId": ["R1", "R2", "R3", "R4"],
                  "Q5": ["We meet every month and share minutes.", "", "Funding was cut, staff time is short.",
                         "The council chairs the board."]}).to_excel(root / "wave3.xlsx", index=False)
    return root


def _example_project(path: Path) -> None:
    from qdakit import Project, import_files, read_codebook
    from qdakit.io.codings import import_codings

    with Project.create(path) as p:
        import_files(p, [EXAMPLES / "interviews"], attributes=[EXAMPLES / "participants.csv"])
        import_files(p, [EXAMPLES / "focus_group"], attributes=[EXAMPLES / "focus_group" / "participants.csv"],
                     questions=EXAMPLES / "focus_group" / "questions.txt")
        p.load_codebook(read_codebook(EXAMPLES / "codebook.yaml"))
        import_codings(p, sorted((EXAMPLES / "codings").glob("*.csv")))


def _exchange_files(root: Path) -> None:
    """What "Exchange with NVivo ..." imports: another tool's project (with transcripts not yet in the project),
    an NVivo for Windows export, a later export of the other tool, and a REFI codebook."""
    from qdakit import read_codebook
    from qdakit.io.refi import write_qdc
    from refi_vendors import TEXT, spans_in, write_vendor_qdpx

    write_vendor_qdpx(root / "project.qdpx", "maxqda")
    other = TEXT + "\nAnna: One more thing, about the minutes.\n"
    write_vendor_qdpx(root / "nvivo.qdpx", "nvivo-windows", [("Interview two", other, spans_in(other))], memos={})
    write_qdc(read_codebook(EXAMPLES / "codebook.yaml"), root / "codebook.qdc")
    later = TEXT + "\nAnna: And a last word on the budget.\n"  # a later export from the other tool
    write_vendor_qdpx(root / "update.qdpx", "maxqda", [("Interview three", later, spans_in(later))], memos={})


def _fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from qdakit.embed import FakeEmbedder

    class Tuned(FakeEmbedder):  # what precode --fine-tune reads off a fine-tuned encoder
        loaded = True

        @property
        def embedder(self) -> Tuned:
            return self

    def fake(*_args: object, **_kwargs: object) -> FakeEmbedder:
        return FakeEmbedder(dim=64)

    def built(out: Path | None = None, **_: object) -> Path:  # `embedder build`: a folder, not minutes of distilling
        from qdakit.embed.build import model_dir

        folder = model_dir("static", out)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    monkeypatch.setattr("qdakit.suggest.precode.fine_tuned_project_embedder", lambda *a, **k: Tuned(dim=64))
    monkeypatch.setattr("qdakit.embed.build.build_static", built)
    monkeypatch.setattr("qdakit.embed.fast.load_embedder", fake)
    for target in ("qdakit.suggest.precode.default_embedder", "qdakit.suggest.crossval.default_embedder",
                   "qdakit.suggest.precode.named_embedder",
                   "qdakit.themes.project_themes.default_embedder",
                   "qdakit.batch.embedding.EmbedderSpec.build"):
        monkeypatch.setattr(target, fake)


def _expand(word: str, env: dict[str, str], cwd: Path) -> list[str]:
    for name, value in env.items():
        word = word.replace(f"${{{name}}}", value).replace(f"${name}", value)
    if any(ch in word for ch in "*?["):
        hits = sorted(glob.glob(word, root_dir=cwd))
        return hits or [word]
    return [word]


def _and_list(words: list[str]) -> list[list[str]]:
    """``a && b`` as [a, b]."""
    parts: list[list[str]] = [[]]
    for w in words:
        if w == "&&":
            parts.append([])
        else:
            parts[-1].append(w)
    return [p for p in parts if p]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    from qdakit.cli import main

    monkeypatch.setattr(sys, "argv", ["qdakit", *argv])
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))  # an interactive command is quit at once
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return (0 if code is None else code if isinstance(code, int) else 1), captured.out + captured.err


def test_readme_has_command_blocks():
    assert len(BLOCKS) >= 10
    skipped = [b for b in BLOCKS if b.skip]
    assert len(skipped) <= max(2, len(BLOCKS) // 8), "not-run markers should stay rare"


def test_readme_commands_run_as_printed(tmp_path, monkeypatch, capsys):
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example study not present")
    root = _sandbox(tmp_path / "work")
    monkeypatch.chdir(root)
    monkeypatch.setenv("QDAKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("QDAKIT_PROJECT", raising=False)
    _fake_models(monkeypatch)
    from threadpoolctl import threadpool_limits

    ran = 0
    with threadpool_limits(1):  # many small scikit-learn fits: one BLAS thread is several times faster
        for block in BLOCKS:
            if block.skip:
                continue
            with monkeypatch.context() as m:
                env: dict[str, str] = {}
                for line in block.commands:
                    words = shlex.split(re.sub(r"(^|\s)#.*$", "", line))  # a shell comment starts a word
                    if words and words[0] == "export":
                        name, _, value = words[1].partition("=")
                        env[name] = value
                        m.setenv(name, value)
                        continue
                    for part in _and_list(words):
                        argv = [x for w in part[1:] for x in _expand(w, env, root)]
                        code, output = _run(argv, capsys, m)
                        assert code == 0, f"{block.page}:{block.line}: `{' '.join(part)}` exited {code}:\n{output[-3000:]}"
                        ran += 1
    assert ran >= 30

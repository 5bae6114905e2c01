"""Precision and recall of the anonymiser, on the example study and on real transcripts.

Two data sets, each with its own gold:

* **example study** (``examples/study``): every person, organisation and place
  planted in the transcripts is listed in ``planted_entities.csv``. Recall: a
  planted name is caught when it no longer occurs (whole word, case-sensitive)
  in its anonymised transcript. Precision: of the word tokens replaced, the
  share inside an occurrence of a planted name; every other replaced token
  (a code word, "Councillor", "participant") is a false positive. The
  anonymiser is the one ``qdakit report`` builds: participants, researchers,
  the study's terms file, the codebook's words protected.
* **real transcripts** (``../shared/data/transcripts``, when present): a sample
  of software-quality interviews and code-review sessions annotated by hand in
  ``benchmarks/data/anonymise_gold.csv`` (offsets into the text as extracted
  here, the kind, and the short name; ``region`` rows say which stretch was
  annotated, ``ignore`` rows mark product names and book titles counted
  neither way). Recall: a gold mention is caught when all its words are
  replaced. Precision: replaced word tokens inside gold mentions over all
  replaced tokens in the annotated regions. Speaker labels read from the
  text become the participant list. The keep-list
  ``benchmarks/data/scrum_keep.txt`` was written from the *other* transcripts
  of the same studies (not the annotated sample), as a researcher would after
  a first look. The anonymiser observes, as ``Anonymiser.for_project`` does
  for a project, every transcript of the study (folder) a sample file comes
  from, with their spaCy docs: that is the evidence of
  ``qdakit.analysis.name_evidence`` (``--quick``: the sample files only).

Rows: the participant list and terms alone (``ner=off``, the baseline), spaCy
people only, spaCy for everything without and with the keep-list, and with
``acronyms="keep"`` (acronyms tagged as people or organisations never
replaced: a trade-off, off by default).

    python benchmarks/anonymise.py [--quick]

Targets: recall >= 0.98 for people and organisations, >= 0.9 for places;
precision >= 0.95, checked on the example study (``ner=all``, the study's terms
file) and on the real sample (``ner=all`` with the keep-list). Ends with
``RESULT ... example_targets_met=... real_targets_met=...``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "examples" / "study"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("QDAKIT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "transcripts"
sys.path.insert(0, str(ROOT / "src"))

from qdakit import Project, import_files  # noqa: E402
from qdakit.analysis.anonymise import DEFAULT_SPACY_MODEL, Anonymiser, read_keep  # noqa: E402
from qdakit.io.codebook import read_codebook  # noqa: E402

TARGETS = {"person": 0.98, "org": 0.98, "place": 0.90}
PRECISION_TARGET = 0.95
_TOKEN = re.compile(r"\w+")


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _precision_counts(text: str, replaced: list[tuple[int, int]], gold: list[tuple[int, int]],
                      ignore: list[tuple[int, int]]) -> tuple[int, int]:
    """(replaced tokens inside gold, replaced tokens counted) for one text."""
    tp = n = 0
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        if not any(rs <= s and e <= re_ for rs, re_ in replaced):
            continue
        if any(gs < e and s < ge for gs, ge in ignore):
            continue
        n += 1
        tp += any(gs <= s and e <= ge for gs, ge in gold)
    return tp, n


def spacy_pipeline():  # noqa: ANN201 - a spaCy Language
    """The anonymiser's default pipeline, loaded once and shared by every configuration."""
    import spacy

    return spacy.load(DEFAULT_SPACY_MODEL, disable=["parser", "lemmatizer"])


# -- the example study ------------------------------------------------------------------
def example_study(tmp: Path, quick: bool) -> tuple[pd.DataFrame, dict[str, Anonymiser], list[str]]:
    p = Project.create(tmp / "anon.qdakit", overwrite=True)
    import_files(p, [STUDY / "interviews"], attributes=[STUDY / "participants.csv"])
    if not quick:
        import_files(p, [STUDY / "focus_group"], attributes=[STUDY / "focus_group" / "participants.csv"],
                     questions=STUDY / "focus_group" / "questions.txt")
    p.load_codebook(read_codebook(STUDY / "codebook.yaml"))
    planted = pd.concat([pd.read_csv(f) for f in sorted(STUDY.rglob("planted_entities.csv"))])
    terms = dict(pd.read_csv(STUDY / "anonymise_terms.csv").itertuples(index=False, name=None))
    seg = p.segments()
    planted = planted[planted["transcript"].isin(set(seg["transcript"]))]
    nlp = spacy_pipeline()
    t0 = time.perf_counter()
    docs = list(nlp.pipe(seg["text"].tolist(), batch_size=64))
    secs = time.perf_counter() - t0
    configs = {"participants+terms (ner=off)": Anonymiser.for_project(p, nlp=nlp, terms=terms, ner="off"),
               "spaCy people (ner=people)": Anonymiser.for_project(p, nlp=nlp, terms=terms, ner="people"),
               "spaCy all (ner=all)": Anonymiser.for_project(p, nlp=nlp, terms=terms, ner="all"),
               "spaCy all, acronyms=keep": Anonymiser.for_project(p, nlp=nlp, terms=terms, ner="all",
                                                                  acronyms="keep")}
    rows, misses = [], []
    for name, anon in configs.items():
        spans = [anon.spans(t, d) for t, d in zip(seg["text"], docs, strict=False)]
        tp = n = 0
        out_by_t: dict[str, list[str]] = {}
        for text, tname, sp in zip(seg["text"], seg["transcript"], spans, strict=False):
            names = planted.loc[planted["transcript"] == tname, "entity"]
            gold = [m.span() for e in names for m in re.finditer(r"(?<!\w)" + re.escape(e) + r"(?!\w)", text)]
            a, b = _precision_counts(text, [(r.start, r.end) for r in sp], gold, [])
            tp, n = tp + a, n + b
            out_by_t.setdefault(tname, []).append(anon._apply(text, sp))
        row = {"data": "example study", "config": name, "spacy_seconds": secs,
               "precision": tp / n if n else float("nan"), "replaced_tokens": n}
        for kind, grp in planted.groupby("kind"):
            caught = [re.search(r"(?<!\w)" + re.escape(r.entity) + r"(?!\w)", "\n".join(out_by_t[r.transcript]))
                      is None for r in grp.itertuples()]
            row[f"{kind}_recall"] = sum(caught) / len(caught)
            row[f"{kind}_n"] = len(caught)
            if name.endswith("(ner=all)"):
                misses += [f"example {kind} {r.entity!r} in {r.transcript}" for r, c in zip(grp.itertuples(), caught, strict=False)
                           if not c]
        rows.append(row)
    p.close()
    return pd.DataFrame(rows), configs, misses


# -- real transcripts, hand-annotated sample -----------------------------------------------
def extract_text(path: Path) -> str:
    """The text the gold offsets refer to: pdfplumber pages joined by newlines; striprtf for RTF."""
    if path.suffix.lower() == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    from striprtf.striprtf import rtf_to_text

    return rtf_to_text(path.read_text(encoding="utf-8", errors="replace"))


# speaker labels: "[04:57] RESEARCHER:" and "[01:27] AMANADA" lines in the PDFs, "P3:" and "I:" in the RTFs
_LABEL_LINE = re.compile(r"^(?:\[[\d:]+\]\s*([A-Z][A-Z0-9 ]{0,30}?)\s*:?\s*$|(P\d+|I\d*)\s*:)", re.M)


def real_transcripts(quick: bool, misses: list[str]) -> pd.DataFrame | str:
    if not SHARED.is_dir():
        return f"real transcripts skipped: {SHARED} not found (set QDAKIT_SHARED_DATA)"
    try:
        import pdfplumber  # noqa: F401
        import striprtf  # noqa: F401
    except ImportError as exc:
        return f"real transcripts skipped: {exc.name} is not installed"
    gold = pd.read_csv(DATA / "anonymise_gold.csv", keep_default_na=False)
    keep = read_keep(DATA / "scrum_keep.txt")
    sources = list(dict.fromkeys(gold["source"]))
    if quick:
        sources = sources[:2]
    texts, regions = {}, {}
    for src in sources:
        text = extract_text(SHARED / src)
        rows = gold[gold["source"] == src]
        for r in rows.itertuples():
            want = r.text.replace("\\n", "\n")
            if r.kind != "region" and text[r.start:r.end] != want:
                raise SystemExit(f"{src}: gold span {r.start}-{r.end} reads {text[r.start:r.end]!r}, not {want!r}; "
                                 "the PDF/RTF text extraction changed (pdfplumber/striprtf version?)")
        reg = rows[rows["kind"] == "region"].iloc[0]
        texts[src] = text[: int(reg.end)]
        regions[src] = rows[rows["kind"] != "region"]
    labels = sorted({(m.group(1) or m.group(2)).strip() for t in texts.values() for m in _LABEL_LINE.finditer(t)})
    researchers = [x for x in labels if x.upper().startswith(("RESEARCHER", "INTERVIEWER")) or x == "I"]
    participants = {x: f"S{i}" for i, x in enumerate(x for x in labels if x not in researchers)}
    configs = {"participants+terms (ner=off)": dict(ner="off"), "spaCy people (ner=people)": dict(ner="people"),
               "spaCy all (ner=all)": dict(ner="all"), "spaCy all + keep-list": dict(ner="all", keep=keep),
               "keep-list + acronyms=keep": dict(ner="all", keep=keep, acronyms="keep")}
    out = []
    nlp = spacy_pipeline()
    t0 = time.perf_counter()
    docs = dict(zip(texts, nlp.pipe(texts.values()), strict=True))
    secs = time.perf_counter() - t0
    # the project the anonymiser observes: every transcript of the study (folder) a sample file comes from, as
    # Anonymiser.for_project observes every segment (--quick: the sample texts only)
    studies: dict[str, dict[str, str]] = {}
    for src in texts:
        folder = str(Path(src).parent)
        files = [src] if quick else sorted(str(f.relative_to(SHARED)) for f in (SHARED / folder).iterdir()
                                           if f.suffix.lower() in (".pdf", ".rtf"))
        studies.setdefault(folder, {})
        for f in files:
            studies[folder][f] = texts[f] if f in texts else extract_text(SHARED / f)
    study_docs = {f: docs[f] if f in docs else nlp(t) for st in studies.values() for f, t in st.items()}
    for name, kw in configs.items():
        anons = {folder: Anonymiser(nlp, participants=participants, researchers=researchers, **kw).observe(
            st.values(), [study_docs[f] for f in st]) for folder, st in studies.items()}
        spans = [anons[str(Path(src).parent)].spans(t, docs[src]) for src, t in texts.items()]
        tp = n = 0
        caught: dict[str, list[bool]] = {"person": [], "org": [], "place": []}
        for (src, text), sp in zip(texts.items(), spans, strict=False):
            g = regions[src]
            rep = [(r.start, r.end) for r in sp]
            gold_spans = [(int(r.start), int(r.end)) for r in g.itertuples() if r.kind in caught]
            ignore = [(int(r.start), int(r.end)) for r in g.itertuples() if r.kind == "ignore"]
            a, b = _precision_counts(text, rep, gold_spans, ignore)
            tp, n = tp + a, n + b
            for r in g.itertuples():
                if r.kind in caught:
                    toks = [m.span() for m in _TOKEN.finditer(text, int(r.start), int(r.end))]
                    caught[r.kind].append(all(_covered(rep, s, e) for s, e in toks))
                    if name == "spaCy all + keep-list" and not caught[r.kind][-1]:
                        misses.append(f"real {r.kind} {r.text!r} in {src}")
        row = {"data": "real transcripts", "config": name, "spacy_seconds": secs,
               "precision": tp / n if n else float("nan"), "replaced_tokens": n}
        for kind, hits in caught.items():
            row[f"{kind}_recall"] = sum(hits) / len(hits) if hits else float("nan")
            row[f"{kind}_n"] = len(hits)
        out.append(row)
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="interviews of the example study, two real transcripts")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        example, _, misses = example_study(Path(tmp), args.quick)
    real = real_transcripts(args.quick, misses)
    frames = [example] if isinstance(real, str) else [example, real]
    table = pd.concat(frames, ignore_index=True)
    cols = ["data", "config", "precision", "replaced_tokens", "person_recall", "person_n", "org_recall", "org_n",
            "place_recall", "place_n", "spacy_seconds"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].round(3).to_string(index=False))
    print(f"\ntargets: recall >= {TARGETS['person']} people and organisations, >= {TARGETS['place']} places; "
          f"precision >= {PRECISION_TARGET}")
    if isinstance(real, str):
        print(real)
    if misses:
        print(f"\nmissed with ner=all (example study) and with the keep-list (real sample) ({len(misses)}):")
        for m in misses:
            print("  " + m)
    ex = example.set_index("config").loc["spaCy all (ner=all)"]
    result = {"example_precision": ex["precision"], "example_person_recall": ex["person_recall"],
              "example_org_recall": ex["org_recall"], "example_place_recall": ex["place_recall"],
              "example_org_recall_acronyms_kept": example.set_index("config").loc["spaCy all, acronyms=keep",
                                                                                   "org_recall"],
              "baseline_example_person_recall": example.set_index("config").loc["participants+terms (ner=off)",
                                                                                  "person_recall"]}
    result["example_targets_met"] = bool(ex["precision"] >= PRECISION_TARGET
                                         and all(ex[f"{k}_recall"] >= t for k, t in TARGETS.items()))
    if not isinstance(real, str):
        rk = real.set_index("config").loc["spaCy all + keep-list"]
        rd = real.set_index("config").loc["spaCy all (ner=all)"]
        result |= {"real_precision": rk["precision"], "real_precision_no_keep": rd["precision"],
                   "real_person_recall": rk["person_recall"], "real_org_recall": rk["org_recall"],
                   "real_place_recall": rk["place_recall"],
                   "real_precision_acronyms_kept": real.set_index("config").loc["keep-list + acronyms=keep",
                                                                                 "precision"]}
        result["real_targets_met"] = bool(rk["precision"] >= PRECISION_TARGET and all(
            rk[f"{k}_recall"] >= t for k, t in TARGETS.items() if rk[f"{k}_n"]))
    print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()

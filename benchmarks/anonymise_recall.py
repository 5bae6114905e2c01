"""Recall of the anonymiser on the example study's planted names.

Every person, organisation and place named in the example transcripts is listed
in ``examples/study/**/planted_entities.csv``. A name counts as caught when it
no longer occurs (as a whole word, case-sensitive) in the anonymised transcript.
Baseline in the same run: the participant list and user terms alone, without
the spaCy model.

    python benchmarks/anonymise_recall.py [--quick]

Ends with ``RESULT person_recall=... org_recall=... place_recall=... baseline_person_recall=...``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "examples" / "study"
sys.path.insert(0, str(ROOT / "src"))

from qdakit import Project, import_files  # noqa: E402
from qdakit.analysis.anonymise import Anonymiser  # noqa: E402


def load_study(tmp: Path) -> Project:
    p = Project.create(tmp / "anon.qdakit", overwrite=True)
    import_files(p, [STUDY / "interviews"], attributes=[STUDY / "participants.csv"])
    import_files(p, [STUDY / "focus_group"], attributes=[STUDY / "focus_group" / "participants.csv"],
                 questions=STUDY / "focus_group" / "questions.txt")
    return p


def recall(project: Project, anon: Anonymiser, planted: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Anonymise each transcript's segments; a planted name is caught if absent from all of them."""
    seg = project.segments()
    texts = anon.transform_many(seg["text"].tolist())
    by_t = pd.Series(texts, index=seg.index).groupby(seg["transcript"]).apply(lambda s: "\n".join(s))
    rows, misses = [], []
    for r in planted.itertuples():
        text = by_t.get(r.transcript, "")
        left = re.search(r"(?<!\w)" + re.escape(r.entity) + r"(?!\w)", text) is not None
        rows.append({"kind": r.kind, "caught": not left})
        if left:
            misses.append({"transcript": r.transcript, "entity": r.entity, "kind": r.kind})
    table = pd.DataFrame(rows).groupby("kind")["caught"].agg(["mean", "size"]).rename(
        columns={"mean": "recall", "size": "names"})
    return table, misses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="interviews only")
    args = ap.parse_args()
    import tempfile

    planted = pd.concat([pd.read_csv(f) for f in sorted(STUDY.rglob("planted_entities.csv"))])
    terms = dict(pd.read_csv(STUDY / "anonymise_terms.csv").itertuples(index=False, name=None))
    with tempfile.TemporaryDirectory() as tmp:
        project = load_study(Path(tmp))
        if args.quick:
            planted = planted[~planted["transcript"].str.startswith("FG")]
        t0 = time.perf_counter()
        base, _ = recall(project, Anonymiser.for_project(project, nlp=None, terms=terms), planted)
        t1 = time.perf_counter()
        full, misses = recall(project, Anonymiser.for_project(project, terms=terms), planted)
        t2 = time.perf_counter()
        model_only, _ = recall(project, Anonymiser.for_project(project, terms={}), planted)
        project.close()
    table = pd.DataFrame({"names": full["names"], "participants+terms": base["recall"],
                          "spaCy only (+participants)": model_only["recall"], "spaCy+participants+terms": full["recall"]})
    print(table.round(3).to_string())
    print(f"\nseconds: baseline {t1 - t0:.1f}, with spaCy {t2 - t1:.1f}")
    print(f"\nmissed with spaCy+participants+terms ({len(misses)}):")
    for m in misses:
        print(f"  {m['kind']:6s} {m['entity']!r} in {m['transcript']}")
    print(f"RESULT person_recall={full.loc['person', 'recall']:.3f} org_recall={full.loc['org', 'recall']:.3f} "
          f"place_recall={full.loc['place', 'recall']:.3f} "
          f"model_only_person_recall={model_only.loc['person', 'recall']:.3f} "
          f"baseline_person_recall={base.loc['person', 'recall']:.3f}")


if __name__ == "__main__":
    main()

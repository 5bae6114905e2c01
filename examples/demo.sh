#!/usr/bin/env bash
# The example study, end to end, with the qdakit command line.
# Run it with `make demo` (which sets up .venv first), or with qdakit on your PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
STUDY=examples/study
OUT=demo-output
mkdir -p "$OUT"
export QDAKIT_PROJECT="$OUT/study.qdakit"

qdakit init "$QDAKIT_PROJECT" --force --yes-delete-codings  # the demo replaces its own output (a .bak is kept)
# interviews: .vtt, .docx and .txt; speakers joined to participants.csv (sector, wave, role)
qdakit import "$STUDY/interviews" --attributes "$STUDY/participants.csv"
# the focus group: each segment learns which of the 8 questions it answers
qdakit import "$STUDY/focus_group" --attributes "$STUDY/focus_group/participants.csv" \
    --questions "$STUDY/focus_group/questions.txt"
# the seed codebook (Corbin, Jones and Barry 2018) and two coders' human codings
qdakit codebook load "$STUDY/codebook.yaml"
qdakit codings import "$STUDY"/codings/*.csv
qdakit status
# agreement between the two coders, per code and pooled, and the disagreements to discuss
qdakit agree --coders JR --coders SM --out "$OUT/disagreements.csv"
# pre-code the rest: learn from JR's and SM's codings, suggest codes for every uncoded segment
qdakit precode
qdakit suggestions -n 8
# the machine as a third coder: its cross-validated codings on every segment JR and SM both coded
qdakit agree -c JR -c SM -c machine -m percent -m fleiss
# hand the coded project to NVivo / ATLAS.ti / MAXQDA, and a quotation table for the write-up
qdakit export --qdpx "$OUT/study.qdpx" --with-suggestions --quotes "$OUT/quotes.xlsx" \
    --terms "$STUDY/anonymise_terms.csv" --keep "$STUDY/keep.txt"
# the report: theme tables and charts by sector, agreement, anonymised exemplar quotes
qdakit report --out "$OUT/report.html" --by sector --agreement JR --agreement SM --agreement machine \
    --terms "$STUDY/anonymise_terms.csv" --keep "$STUDY/keep.txt" --pseudonyms "$OUT/pseudonyms.csv"

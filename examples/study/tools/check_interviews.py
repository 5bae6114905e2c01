"""Check the example study's interviews without qdakit (python-docx only).

    python examples/study/tools/check_interviews.py

Checks: every interview in ``interviews/`` parses (txt labels, WebVTT cues with
increasing times, Teams-style docx) and has at least 30 speaker turns; every
speaker label matches a row of ``participants.csv`` and every row's speaker
occurs; every row of ``planted_entities.csv`` occurs in its transcript's turn
text (speaker labels excluded); every quote in ``codings/`` is a verbatim
substring of exactly one turn of its speaker, with one of the nine component
codes. In ``.vtt`` files consecutive cues of one speaker are joined with a
single space into one turn; the count of quotes that cross a cue boundary is
printed.
"""
import csv, re, glob
from pathlib import Path
import docx
ROOT = Path(__file__).resolve().parent.parent
LABEL = re.compile(r"^(?:\[(\d\d:\d\d:\d\d)\] )?([A-Z][\w .'-]{0,38}): ")
def read_txt(p):
    lines = p.read_text().split("\n")
    turns = []; bad = []
    for i, line in enumerate(lines[1:], 2):
        m = LABEL.match(line)
        if m:
            turns.append([m.group(2), [line[m.end():]]])
        elif turns:
            turns[-1][1].append(line)
        elif line.strip():
            bad.append(line)
    assert not bad, bad
    return [(s, "\n".join(x).strip()) for s, x in turns]
def read_vtt(p):
    txt = p.read_text()
    assert txt.startswith("WEBVTT\n\n")
    cues = []
    last = -1
    for block in txt.split("\n\n")[1:]:
        ls = block.strip().split("\n")
        if ls[0].count("-->") == 0:
            assert re.fullmatch(r"[0-9a-f-]{36}/\d+-\d+", ls[0]), ls[0]; ls = ls[1:]
        a, b = ls[0].split(" --> ")
        sec = lambda s: int(s[:2])*3600 + int(s[3:5])*60 + float(s[6:])
        assert last <= sec(a) < sec(b), ls[0]; last = sec(b)
        m = re.fullmatch(r"<v ([^>]+)>(.*)</v>", ls[1]); assert m and len(ls) == 2
        cues.append((m.group(1), m.group(2)))
    turns = []
    for s, t in cues:
        if turns and turns[-1][0] == s: turns[-1][1].append(t)
        else: turns.append([s, [t]])
    return [(s, " ".join(x)) for s, x in turns], cues
def read_docx(p):
    ps = [x.text for x in docx.Document(p).paragraphs]
    turns = []
    for i in range(2, len(ps), 2):
        m = re.fullmatch(r"(.+?)   (\d+:\d\d(?::\d\d)?)", ps[i]); assert m, ps[i]
        turns.append((m.group(1), ps[i+1]))
    return turns

parts = list(csv.DictReader(open(ROOT / "participants.csv")))
assert list(parts[0].keys()) == ["participant","speaker","transcript","sector","wave","role"]
labels = {}
alltext = {}
cues_of = {}
for p in sorted(q for q in (ROOT / "interviews").iterdir() if q.suffix in (".txt", ".vtt", ".docx")):
    if p.suffix == ".txt": turns = read_txt(p)
    elif p.suffix == ".vtt": turns, cues_of[p.stem] = read_vtt(p)
    else: turns = read_docx(p)
    labels[p.stem] = {s for s, _ in turns}
    alltext[p.stem] = turns
    ws = [len(t.split()) for s, t in turns]
    print(f"{p.name:24} turns={len(turns):3} speakers={sorted(labels[p.stem])} words={sum(ws)} max_turn_words={max(ws)} turns>150w={sum(w>150 for w in ws)}")
    assert len(turns) >= 30
# every label matches a row
for stem, labs in labels.items():
    for lab in labs:
        ok = [r for r in parts if r["speaker"] == lab and r["transcript"] in (stem, "")]
        assert ok, (stem, lab)
# every row's speaker appears somewhere
for r in parts:
    stems = [r["transcript"]] if r["transcript"] else list(labels)
    assert any(r["speaker"] in labels[s] for s in stems), r
# entities
ents = list(csv.DictReader(open(ROOT / "planted_entities.csv")))
assert all(e["kind"] in ("person","org","place") for e in ents)
assert len({(e["transcript"], e["entity"]) for e in ents}) == len(ents)
for e in ents:
    body = "\n".join(t for _, t in alltext[e["transcript"]])
    assert re.search(r"(?<!\w)" + re.escape(e["entity"]) + r"(?!\w)", body), e
print("entities ok:", len(ents))
# codings
nine = ["Aligned vision and goals","Broad participation","Clear leadership","Communication","Role structure and accountability","Balance of resources","Balance of maintaining and producing","External context","Evaluation"]
researchers = {r["speaker"] for r in parts if r["role"] == "researcher"}
for f in sorted((ROOT / "codings").glob("*.csv")):
    rows = list(csv.DictReader(open(f)))
    assert list(rows[0].keys()) == ["transcript","speaker","quote","code","coder"]
    span_cues = 0
    for r in rows:
        assert r["transcript"] == f.stem and r["code"] in nine and r["coder"] in ("JR","SM")
        assert r["speaker"] not in researchers and 10 <= len(r["quote"]) <= 200
        hits = [t for s, t in alltext[f.stem] if s == r["speaker"] and r["quote"] in t]
        assert len(hits) == 1, r
        if f.stem in cues_of and not any(r["quote"] in c for s, c in cues_of[f.stem] if s == r["speaker"]):
            span_cues += 1
    print(f.name, len(rows), "rows ok; quotes spanning cues:", span_cues)

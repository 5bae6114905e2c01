"""The workbench end to end in a real headless Chromium (Playwright), asserting on the page and the project file.

Every context blocks requests that leave 127.0.0.1, so these also show the pages work with the
network off. Screenshots of each page are saved (``QDAKIT_SCREENSHOTS=docs/img`` refreshes the docs').
"""

from __future__ import annotations

from pathlib import Path

from qdakit import Project
from workbench_support import TOKEN, TURNS, LiveServer, shot

# where a transcript offset is on screen: the middle of the character after it (side -1: before it)
_RECT = """([seg, off, side]) => {
  const t = document.querySelector(`.turn[data-seg="${seg}"]`);
  for (const p of t.querySelectorAll('.text .p')) {
    if (p.dataset.cr) continue;
    const s = Number(p.dataset.o); const chars = [...p.textContent];
    const i = side > 0 ? off - s : off - s - 1;
    if (i < 0 || i >= chars.length) continue;
    let u = 0; for (const ch of chars.slice(0, i)) u += ch.length;
    const r = document.createRange(); r.setStart(p.firstChild, u); r.setEnd(p.firstChild, u + chars[i].length);
    const b = r.getBoundingClientRect();
    return [side > 0 ? b.left + 1 : b.right - 1, b.top + b.height / 2];
  }
  return null;
}"""


def _select_with_mouse(page, seg: str, start: int, end: int) -> None:
    x0, y0 = page.evaluate(_RECT, [seg, start, 1])
    x1, y1 = page.evaluate(_RECT, [seg, end, -1])
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()


def _codings(path: Path, coder: str = "JR"):
    with Project.open(path) as p:
        return p.codings(coder=coder), p.transcript("T1").text


def test_code_a_span_with_the_mouse_exact_with_emoji_and_accents(page, live, project_path, tmp_path) -> None:
    page.goto(f"{live.url}/transcripts/T1")
    page.wait_for_selector("body[data-ready]")
    seg = live.project.segment("T1#1")
    text = TURNS[1][1]
    start = seg.start + text.index("monthly")
    end = seg.start + text.index(" a lot")  # "monthly 👍🏽 and émail": a skin-tone emoji and a combining accent
    _select_with_mouse(page, "T1#1", start, end)
    page.wait_for_selector("#picker[open]")
    page.keyboard.type("commun")
    page.keyboard.press("Enter")
    page.wait_for_selector('.turn[data-seg="T1#1"] .chip.own')
    codings, full = _codings(project_path)
    assert codings[["code", "start", "end"]].values.tolist() == [["Communication", start, end]]
    assert full[start:end] == "monthly 👍🏽 and e\u0301mail"
    assert page.locator('.turn[data-seg="T1#1"] .hl').count() >= 1  # drawn as a highlight
    assert "Communication" in page.locator('.turn[data-seg="T1#1"] .chips').inner_text()
    shot(page, "transcript", tmp_path)
    assert page.errors == []


def test_code_a_span_with_the_keyboard_alone_cjk_and_crlf(page, live, project_path) -> None:
    page.goto(f"{live.url}/transcripts/T1")
    page.wait_for_selector("body[data-ready]")
    for _ in range(5):  # j moves from turn to turn
        page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.seg") == "T1#4"
    for _ in range(5):  # 协作很重要: five graphemes
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#picker[open]")
    page.keyboard.type("Clear lead")
    page.keyboard.press("Enter")
    page.wait_for_selector('.turn[data-seg="T1#4"] .chip.own')
    # the CRLF turn: 16 graphemes "Funding was cut,", CR LF is one grapheme, then "so"
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.seg") == "T1#2"
    for _ in range(19):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("c")
    page.keyboard.type("2")  # not a recent code number yet: typed into the filter
    page.keyboard.press("Backspace")
    page.keyboard.type("Balance")
    page.keyboard.press("Enter")
    page.wait_for_selector('.turn[data-seg="T1#2"] .chip.own')
    codings, full = _codings(project_path)
    spans = {r.code: full[r.start:r.end] for r in codings.itertuples()}
    assert spans == {"Clear leadership": "协作很重要", "Balance of resources": "Funding was cut,\r\nso"}
    assert page.errors == []


def test_open_coding_whole_turn_no_code_remove_and_undo_by_mouse(page, live, project_path, tmp_path) -> None:
    page.goto(f"{live.url}/transcripts/T2")
    page.wait_for_selector("body[data-ready]")
    turn = page.locator('.turn[data-seg="T2#1"]')
    turn.locator("button.code-turn").click()
    page.wait_for_selector("#picker[open]")
    page.locator("#picker-input").fill("Timing of evaluation")
    page.wait_for_selector("#picker-create:not([hidden])")
    page.keyboard.press("Enter")  # a name not in the codebook creates the code (open coding)
    page.wait_for_selector('.turn[data-seg="T2#1"] .chip.own')
    with Project.open(project_path) as p:
        assert "Timing of evaluation" in p.codebook.names
        c = p.codings(coder="JR")
        assert c[["segment_id", "code"]].values.tolist() == [["T2#1", "Timing of evaluation"]]
        assert c["start"].isna().all()  # the whole turn
    page.locator('.turn[data-seg="T2#1"] .chip.own button.remove').click()
    page.locator('.turn[data-seg="T2#1"] .chip.own').wait_for(state="detached")
    page.locator('.turn[data-seg="T2#0"] button.no-code').click()
    page.wait_for_selector('.turn[data-seg="T2#0"].nocode')
    page.locator("#undo").click()  # undo the no-code mark
    page.wait_for_selector('.turn[data-seg="T2#0"]:not(.nocode)')
    page.locator("#undo").click()  # undo the removal: the coding is back
    page.wait_for_selector('.turn[data-seg="T2#1"] .chip.own')
    with Project.open(project_path) as p:
        assert p.codings(coder="JR")["code"].tolist() == ["Timing of evaluation"]
        assert p.codings(coder="JR", history=True)["status"].tolist() == ["retracted", "active"]
        assert p.reviewed(coder="JR").empty
    page.locator("#show-others").check()
    assert page.locator('.turn[data-seg="T2#1"] .chip.other').is_visible()  # SM's coding on the toggle
    assert page.errors == []


def test_review_by_keys_accept_reject_recode_nocode_undo(page, live, project_path, tmp_path) -> None:
    page.goto(f"{live.url}/review")
    page.wait_for_selector("body[data-ready]")
    shot(page, "review", tmp_path)
    order = []

    def moved_on() -> None:  # the next suggestion (or the empty queue) is on the page
        page.wait_for_selector(f'body[data-ready] #review:not([data-suggestion="{order[-1]}"]), body[data-ready] #empty')

    for key in ("a", "r", "c", "n"):
        order.append(int(page.locator("#review").get_attribute("data-suggestion")))
        page.keyboard.press(key)
        if key == "c":
            page.wait_for_selector("#picker[open]")
            page.keyboard.type("Communication")
            page.keyboard.press("Enter")
        moved_on()
    page.wait_for_selector("#empty")
    with Project.open(project_path) as p:
        status = {i: p.suggestion(i).status for i in order}
        assert list(status.values()) == ["accepted", "rejected", "rejected", "rejected"]
        assert sorted(p.codings(coder="JR")["code"]) == ["Communication", "Communication"]
        assert len(p.reviewed(coder="JR", uncoded=True)) == 1
    page.keyboard.press("u")  # undo the no-code decision
    page.wait_for_selector("body[data-ready] #review")
    assert "Undone: nocode" in page.locator("#done").inner_text()
    assert int(page.locator("#review").get_attribute("data-suggestion")) == order[3]
    page.keyboard.press("Control+z")  # and the recode
    page.wait_for_selector(f'body[data-ready] #review[data-suggestion="{order[2]}"]')
    with Project.open(project_path) as p:
        assert p.suggestion(order[3]).status == p.suggestion(order[2]).status == "pending"
        assert p.codings(coder="JR")["code"].tolist() == ["Communication"]
    page.keyboard.press(" ")  # skip
    page.wait_for_selector(f'body[data-ready] #review:not([data-suggestion="{order[2]}"])')
    assert "undone" in page.locator("#history").inner_text()
    assert page.errors == []


def test_two_coders_at_once_neither_lost_nor_doubled(browser, live, project_path) -> None:
    other = LiveServer(project_path, "SM")
    try:
        pages = []
        for server in (live, other):
            ctx = browser.new_context()
            pg = ctx.new_page()
            pg.goto(server.login_url("/review"))
            pages.append(pg)
        first = [pg.wait_for_selector("body[data-ready] #review").get_attribute("data-suggestion") for pg in pages]
        assert first[0] == first[1]  # both see the same best suggestion
        pages[0].keyboard.press("a")
        pages[0].wait_for_selector("body[data-ready] #done")
        pages[1].keyboard.press("a")  # SM accepts what JR accepted a moment ago
        pages[1].wait_for_selector("#message")
        assert "already accepted by JR" in pages[1].locator("#message").inner_text()
        with Project.open(project_path) as p:
            s = p.suggestion(int(first[0]))
            assert s.status == "accepted" and s.decided_by == "JR"
            assert len(p.codings(coder="JR")) == 1 and p.codings(coder="SM")["code"].tolist() != ["Communication"]
    finally:
        other.stop()


def test_markup_is_shown_as_text_and_never_runs(page, live) -> None:
    page.goto(f"{live.url}/transcripts/T1")
    assert page.evaluate("window.pwned") is None
    assert "<script>window.pwned=1</script>" in page.locator('.turn[data-seg="T1#5"] .text').inner_text()
    page.goto(f"{live.url}/transcripts/T2?others=1")
    assert "<b>Evaluation</b>" in page.locator('.turn[data-seg="T2#1"] .chips').inner_text()
    page.goto(f"{live.url}/codebook")
    assert page.locator("#codebook b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_no_token_gives_403_and_every_asset_is_local(browser, live, tmp_path) -> None:
    ctx = browser.new_context()
    pg = ctx.new_page()
    r = pg.goto(f"{live.url}/transcripts")
    assert r.status == 403 and "token" in pg.inner_text("body")
    failed, outside = [], []
    ctx.route(lambda url: not url.startswith(live.url), lambda route: (outside.append(route.request.url),
                                                                       route.abort()))
    pg.on("requestfailed", lambda req: failed.append(req.url))
    for path in ("/transcripts", "/transcripts/T1", "/review", "/codebook", "/agreement", "/anonymise"):
        r = pg.goto(live.login_url(path) if path == "/transcripts" else f"{live.url}{path}")
        assert r.status == 200, path
        assert pg.evaluate("getComputedStyle(document.body).marginTop") == "0px"  # the stylesheet loaded
        shot(pg, path.strip("/").replace("/", "-"), tmp_path)
    assert failed == [] and outside == []
    ctx.close()


def test_token_in_cookie_is_httponly(page, live) -> None:
    cookies = page.context.cookies()
    mine = [c for c in cookies if c["name"] == f"qdakit_token_{live.port}"]
    assert mine and mine[0]["httpOnly"] and mine[0]["sameSite"] == "Strict" and mine[0]["value"] == TOKEN
    assert page.evaluate("document.cookie") == ""


def test_a_whole_example_transcript_coded_and_reviewed_in_the_browser_alone(browser, tmp_path) -> None:
    """The example study's P04 interview: every participant turn coded or marked by keys, every suggestion decided."""
    from qdakit import Code, Codebook, Suggestion, import_files
    from support import EXAMPLES

    path = tmp_path / "study.qdakit"
    with Project.create(path) as p:
        import_files(p, [EXAMPLES / "interviews" / "P04_EM_Yr1.txt"], attributes=[EXAMPLES / "participants.csv"],
                     strict_attributes=False,
                     embedding_model=None)
        p.load_codebook(Codebook([Code("Aligned vision and goals"), Code("Broad participation")]))
        segs = p.segments()
        tid = segs["transcript_id"].iloc[0]
        talk = segs[~segs["is_researcher"]]
        p.add_suggestions([Suggestion(s, "Broad participation", 0.5 + i / 100, "m1", "zero-shot")
                           for i, s in enumerate(talk["id"][::3])])
    server = LiveServer(path, "JR")
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(server.login_url(f"/transcripts/{tid}"))
        page.wait_for_selector("body[data-ready]")
        first = True
        for i, row in enumerate(segs.itertuples()):
            page.keyboard.press("j")
            assert page.evaluate("document.activeElement.dataset.seg") == row.id
            if row.is_researcher:
                continue
            if i % 4 == 1:  # read, no code applies
                page.keyboard.press("n")
                page.wait_for_selector(f'.turn[data-seg="{row.id}"].nocode')
            else:  # the whole turn: the picker, then the code by name the first time, by number key after
                page.keyboard.press("Enter")
                page.wait_for_selector("#picker[open]")
                page.keyboard.type("Aligned" if first else "1")
                if first:
                    page.keyboard.press("Enter")
                first = False
                page.wait_for_selector(f'.turn[data-seg="{row.id}"] .chip.own')
            page.locator(f'.turn[data-seg="{row.id}"]').focus()
        page.goto(f"{server.url}/review")
        decided = 0
        while page.wait_for_selector("body[data-ready] #review, body[data-ready] #empty").get_attribute("id") == "review":
            sid = page.locator("#review").get_attribute("data-suggestion")
            page.keyboard.press("a" if decided % 2 == 0 else "r")
            page.wait_for_selector(f'body[data-ready] #review:not([data-suggestion="{sid}"]), body[data-ready] #empty')
            decided += 1
        ctx.close()
    finally:
        server.stop()
    with Project.open(path) as p:
        talk_ids = set(p.segments().query("not is_researcher")["id"])
        coded = set(p.codings(coder="JR")["segment_id"])
        marked = set(p.reviewed(coder="JR")["segment_id"])
        assert talk_ids <= coded | marked  # every participant turn was coded or read
        every = p.suggestions()
        assert decided > 0 and p.suggestions(status="pending").empty and set(every["decided_by"]) == {"JR"}
        # the ones on turns marked "no code applies" were rejected by that mark, the rest in the review
        assert len(p.decisions(coder="JR")) == len(talk_ids) + decided


def test_mouse_alone_code_a_span_and_review(page, live, project_path) -> None:
    page.goto(f"{live.url}/transcripts/T1")
    page.wait_for_selector("body[data-ready]")
    seg = live.project.segment("T1#4")
    start = seg.start + TURNS[4][1].index("the council")
    _select_with_mouse(page, "T1#4", start, start + len("the council chairs"))
    page.wait_for_selector("#picker[open]")
    page.locator('#picker-list li[data-code="Clear leadership"]').click()
    page.wait_for_selector('.turn[data-seg="T1#4"] .chip.own')
    page.locator("nav >> text=Review").click()
    page.wait_for_selector("body[data-ready] #review")
    sid = page.locator("#review").get_attribute("data-suggestion")
    page.locator("#btn-accept").click()
    page.wait_for_selector(f'body[data-ready] #review:not([data-suggestion="{sid}"])')
    page.locator("#history button.undo-one").first.click()  # undo that accept from the list
    page.wait_for_selector(f'body[data-ready] #review[data-suggestion="{sid}"]')
    page.locator("#recode-code").select_option("Balance of resources")
    page.locator("#btn-recode").click()
    page.wait_for_selector(f'body[data-ready] #review:not([data-suggestion="{sid}"])')
    codings, full = _codings(project_path)
    assert sorted(codings["code"]) == ["Balance of resources", "Clear leadership"]
    span = codings[codings["code"] == "Clear leadership"].iloc[0]
    assert full[span["start"]:span["end"]] == "the council chairs"
    with Project.open(project_path) as p:
        assert p.suggestion(int(sid)).status == "rejected"  # recoded: the suggestion rejected, another code applied
    assert page.errors == []

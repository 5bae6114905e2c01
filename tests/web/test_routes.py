"""The workbench's routes through Starlette's test client: token, hosts, CSRF, escaping, and each write."""

from __future__ import annotations

import re

import pytest

from qdakit import Project
from workbench_support import TOKEN, TURNS, login

PAGES = ["/transcripts", "/transcripts/T1", "/review", "/codebook", "/agreement", "/anonymise",
         "/static/workbench.css", "/static/transcript.js"]


@pytest.mark.parametrize("path", PAGES)
def test_every_route_needs_the_token(client, path) -> None:
    c, _ = client
    r = c.get(path, follow_redirects=False)
    assert r.status_code == 403 and "token" in r.text
    r = c.get(path, headers={"cookie": "qdakit_token_1=wrong"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.get(f"{path}?token=wrong", follow_redirects=False)
    assert r.status_code == 403


def test_the_token_becomes_a_strict_cookie_and_leaves_the_url(client) -> None:
    c, _ = client
    r = c.get(f"/transcripts?token={TOKEN}&others=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/transcripts?others=1"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN in cookie
    assert c.get("/transcripts").status_code == 200  # the cookie alone now


def test_another_host_is_refused(client) -> None:
    c, _ = client
    login(c)
    assert c.get("/transcripts", headers={"host": "evil.example:80"}).status_code == 403


def test_strict_headers_on_every_page(client) -> None:
    c, _ = client
    login(c)
    r = c.get("/transcripts/T1")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in re.sub(r'<script type="module" src="/static/[a-z]+\.js"></script>', "", r.text)


def test_changes_need_the_csrf_token_and_the_same_origin(client, project_path) -> None:
    c, project = client
    csrf = login(c)
    body = {"segment_id": "T1#1", "code": "Communication"}
    assert c.post("/api/code", json=body).status_code == 403
    assert c.post("/api/code", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert c.post("/api/code", json=body, headers={"X-CSRF-Token": csrf,
                                                   "Origin": "http://evil.example"}).status_code == 403
    assert c.post("/review/decide", data={"suggestion_id": "1", "action": "accept"}).status_code == 403
    assert project.codings(coder="JR").empty and project.suggestions(status="accepted").empty
    r = c.post("/api/code", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"})
    assert r.status_code == 200 and project.codings(coder="JR")["code"].tolist() == ["Communication"]


def test_markup_in_text_code_names_and_coder_names_is_escaped(client) -> None:
    c, _ = client
    login(c)
    page = c.get("/transcripts/T1?others=1").text + c.get("/transcripts/T2?others=1").text
    assert "<script>window.pwned" not in page and "<img src=x" not in page and 'href="javascript:' not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "&lt;b&gt;Evaluation&lt;/b&gt;" in page and "<b>Evaluation</b>" not in page
    assert "SM&lt;script&gt;" in page
    review = c.get("/review").text
    assert "<script>x</script>" not in review and "&lt;script&gt;x&lt;/script&gt;" in review


def test_the_transcript_page_carries_exact_offsets(client, project_path) -> None:
    c, project = client
    login(c)
    page = c.get("/transcripts/T1").text
    text = project.transcript("T1").text
    for m in re.finditer(r'<span class="p[^"]*" data-o="(\d+)"[^>]*>([^<]*)</span>', page):
        start, shown = int(m.group(1)), m.group(2)
        import html

        shown = html.unescape(shown)
        assert text[start:start + len(shown)] == shown  # every piece is the transcript at its offset
    assert page.count('data-cr="1"') == 2  # the two CRs of turn 2 are their own empty pieces


def test_code_a_span_then_undo_through_the_api(client) -> None:
    c, project = client
    csrf = login(c)
    seg = project.segment("T1#1")
    start = seg.start + TURNS[1][1].index("👍🏽")
    r = c.post("/api/code", json={"segment_id": "T1#1", "code": "communication", "start": start,
                                  "end": start + 2}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    data = r.json()
    coding = project.codings(coder="JR").iloc[0]
    assert (coding["code"], coding["start"], coding["end"]) == ("Communication", start, start + 2)
    assert project.transcript("T1").text[start:start + 2] == "👍🏽"
    assert 'data-seg="T1#1"' in data["turn_html"] and "Communication" in data["turn_html"]
    r = c.post("/api/undo", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and project.codings(coder="JR").empty
    r = c.post("/api/undo", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 409 and "no decision left" in r.json()["error"]


def test_an_unknown_code_is_refused_unless_created(client) -> None:
    c, project = client
    csrf = login(c)
    r = c.post("/api/code", json={"segment_id": "T1#1", "code": "Trust"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 409 and "Create" in r.json()["error"]
    assert project.codings(coder="JR").empty


def test_review_decisions_undo_and_a_collision(client, project_path) -> None:
    c, project = client
    csrf = login(c)
    page = c.get("/review").text
    first = int(re.search(r'data-suggestion="(\d+)"', page).group(1))
    assert project.suggestion(first).score == 0.91  # best first
    r = c.post("/review/decide", data={"csrf": csrf, "suggestion_id": str(first), "action": "accept",
                                       "order": "best"}, follow_redirects=False)
    assert r.status_code == 303
    assert project.suggestion(first).status == "accepted"
    page = c.get(r.headers["location"]).text
    assert "Saved: accept Communication" in page
    second = int(re.search(r'data-suggestion="(\d+)"', page).group(1))
    with Project.open(project_path) as other:  # another coder decides it first
        other.decide(second, "reject", "SM")
    r = c.post("/review/decide", data={"csrf": csrf, "suggestion_id": str(second), "action": "accept"})
    assert r.status_code == 409 and "already rejected by SM" in r.text
    r = c.post("/review/undo", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and project.suggestion(first).status == "pending"
    assert f'data-suggestion="{first}"' in c.get(r.headers["location"]).text  # the undone one comes back first
    assert project.codings(coder="JR").empty


def test_every_page_renders(client) -> None:
    c, _ = client
    login(c)
    for path in PAGES[:5]:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert 'coding as <strong id="coder-name">JR</strong>' in r.text
    assert c.get("/transcripts/nope").status_code == 404


def test_codebook_changes_are_validated_and_recorded_with_the_coder(client) -> None:
    c, project = client
    csrf = login(c)
    r = c.post("/codebook/add", data={"csrf": csrf, "name": "Trust", "parent": "Communication",
                                      "description": "<i>how far</i> partners rely on each other"},
               follow_redirects=False)
    assert r.status_code == 303
    trust = next(x for x in project.codebook if x.name == "Trust")
    assert trust.parent == "Communication" and trust.description.startswith("<i>how far</i>")
    page = c.get("/codebook").text
    assert "&lt;i&gt;how far&lt;/i&gt;" in page and "<i>how far</i>" not in page
    r = c.post("/codebook/add", data={"csrf": csrf, "name": "communication"})
    assert r.status_code == 409 and "Communication" in r.text  # a duplicate, case-insensitively: refused in the page
    r = c.post("/codebook/rename", data={"csrf": csrf, "name": "Trust", "new_name": "Mutual trust"},
               follow_redirects=False)
    assert r.status_code == 303 and "Mutual trust" in project.codebook.names
    project.code("T1#1", "Clear leadership", "SM")
    r = c.post("/codebook/merge", data={"csrf": csrf, "name": "Clear leadership", "into": "Communication"},
               follow_redirects=False)
    assert r.status_code == 303
    sm = project.codings(coder="SM")
    assert sm["code"].tolist() == ["Communication", "Communication"]  # both of SM's, still SM's
    changes = project.codebook_changes()
    assert set(changes["coder"]) == {"JR"} and {"add", "rename", "merge"} <= set(changes["action"])
    assert c.post("/codebook/add", data={"name": "X"}).status_code == 403  # no CSRF token


def test_an_anonymisation_choice_is_saved_for_the_exports(client) -> None:
    c, project = client
    csrf = login(c)
    r = c.post("/anonymise/choice", data={"csrf": csrf, "term": "Bo", "choice": "keep"}, follow_redirects=False)
    assert r.status_code == 303
    saved = project.anonymise_choices()
    assert saved[["term", "choice", "coder"]].values.tolist() == [["Bo", "keep", "JR"]]
    r = c.post("/anonymise/choice", data={"csrf": csrf, "term": "Bo", "choice": "maybe"})
    assert r.status_code == 409


def test_a_theme_merge_proposal_is_accepted_on_the_codebook_page(tmp_path) -> None:
    from starlette.testclient import TestClient

    from qdakit.web import create_app
    from support import proposals_study

    project = proposals_study(tmp_path / "study.qdakit")
    try:
        with TestClient(create_app(project, "SM", token=TOKEN, hosts={"testserver"}, port=1)) as c:
            csrf = login(c)
            page = c.get("/codebook").text
            assert "merge-1" in page and "split-1" in page and "Accept merge" in page
            r = c.post("/codebook/proposal", data={"csrf": csrf, "id": "merge-1", "keep": "budget"},
                       follow_redirects=False)
            assert r.status_code == 303
            assert "money" not in set(project.codings()["code"])  # every coding of money now budget
            assert "accepted by SM" in c.get("/codebook").text
            r = c.post("/codebook/proposal", data={"csrf": csrf, "id": "merge-1"})
            assert r.status_code == 409 and "already accepted by SM" in r.text
    finally:
        project.close()


def test_the_review_queue_in_the_order_of_qdakit_next_says_why_and_how_far_the_machine_is(client, monkeypatch) -> None:
    from qdakit.embed import FakeEmbedder
    from qdakit.suggest import precode as precode_module

    monkeypatch.setattr(precode_module, "default_embedder", lambda project, device="cpu": FakeEmbedder(dim=32))
    c, project = client
    from qdakit import Suggestion

    project.add_suggestions([Suggestion("T1#5", "Communication", 0.05, "m1", "zero-shot")])
    login(c)
    page = c.get("/review?order=next").text
    assert 'id="plan"' in page and "Order of <code>qdakit next</code> (in_order)" in page
    assert re.search(r"on <strong>0</strong> of 4 codes", page) and "fewer than 3 examples" in page
    first = int(re.search(r'data-suggestion="(\d+)"', page).group(1))
    # the turn after the last coded one comes first, whatever its score: coding goes on in reading order
    assert project.suggestion(first).segment_id == "T1#5"
    assert "Why now: next in transcript T1" in page


def test_the_next_order_is_not_refitted_after_every_decision(client, monkeypatch) -> None:
    from qdakit.suggest import review_queue

    calls: list[int] = []
    real = review_queue.review_order

    def counted(project, n=10, **kw):
        from qdakit.embed import FakeEmbedder

        calls.append(n)
        return real(project, n, embedder=FakeEmbedder(dim=16), **kw)

    monkeypatch.setattr(review_queue, "review_order", counted)
    c, project = client
    csrf = login(c)
    first = int(re.search(r'data-suggestion="(\d+)"', c.get("/review?order=next").text).group(1))
    c.post("/review/decide", data={"csrf": csrf, "suggestion_id": str(first), "action": "accept", "order": "next"})
    assert len(calls) == 1  # one fit for the page, none for the decision and the next page
    for sid in project.suggestions(status="pending")["id"]:
        project.decide(int(sid), "accept", "SM")
    for i in range(3):  # ten more human labels: the order is fitted again
        for seg in ("T1#0", "T1#1", "T1#2"):
            project.code(seg, ["Communication", "Clear leadership", "Balance of resources"][i], f"C{i}")
    c.get("/review?order=next")
    assert len(calls) == 2

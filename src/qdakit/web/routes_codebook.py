"""The codebook, agreement and anonymisation pages: ``/codebook``, ``/agreement``, ``/anonymise``.

Every change is a plain form with the CSRF token, made by the workbench's coder through the
project's own methods (validated as ``qdakit codebook load`` validates, recorded with the
coder's name); agreement is what ``qdakit agree`` computes; the anonymisation choices are
saved in the project and used by every export and the report.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from qdakit.errors import QdakitError, UndefinedStatisticWarning
from qdakit.web.workbench import route, wb

__all__ = ["ROUTES"]


def _machine_current(project: Any) -> bool:
    """Whether the stored machine codings were made from today's human labels."""
    machine = project.machine_codings()
    return bool(len(machine)) and set(machine["labels"]) == {project.labels_version()}


def _verdicts(project: Any) -> Any:
    """The machine-vs-human verdict per code when the stored machine codings are current, else None."""
    from qdakit.analysis.machine import machine_vs_humans, verdict_display

    humans = [c for c in project.coders()]
    if not humans or not _machine_current(project):
        return None
    table = machine_vs_humans(project, humans, n_boot=200)
    return verdict_display(table)


# -- codebook ---------------------------------------------------------------------------------------
def _codebook_page(w: Any, message: str = "", status: int = 200) -> Response:
    """The codebook page (called inside :meth:`Workbench.run`, which holds the lock)."""
    def build() -> dict[str, Any]:
        codings = w.project.codings()
        counts = codings.groupby(["code", "coder"]).size() if len(codings) else None
        coders = sorted(set(codings["coder"])) if len(codings) else []
        verdicts = _verdicts(w.project)
        verdict = dict(zip(verdicts["code"], verdicts["verdict"], strict=True)) if verdicts is not None else {}
        rows = []
        for c in w.project.codebook:
            per = {k: int(counts.get((c.name, k), 0)) if counts is not None else 0 for k in coders}
            rows.append({"code": c, "counts": per, "verdict": verdict.get(c.name, "")})
        from qdakit.themes.proposals import proposals

        return {"rows": rows, "coders": coders, "machine_current": verdicts is not None,
                "proposals": list(proposals(w.project).itertuples()),
                "changes": list(w.project.codebook_changes().tail(10).iloc[::-1].itertuples())}

    return w.render("codebook.html", status=status, page="codebook", message=message, **build())


@route("/codebook")
async def codebook(request: Request) -> Response:
    w = wb(request)
    return await w.run(lambda: _codebook_page(w))


@route("/codebook/{action}", methods=("POST",))
async def codebook_change(request: Request) -> Response:
    w = wb(request)
    body = await w.check_csrf(request)
    action = request.path_params["action"]

    def text(key: str) -> str:
        return str(body.get(key) or "").strip()

    def act() -> Response:
        p = w.project
        try:
            if action == "add":
                p.add_code(text("name"), w.coder, parent=text("parent") or None, description=text("description"),
                           inclusion=text("inclusion"), exclusion=text("exclusion"))
            elif action == "edit":
                p.edit_code(text("name"), w.coder, description=text("description"), inclusion=text("inclusion"),
                            exclusion=text("exclusion"))
            elif action == "rename":
                p.rename_code(text("name"), text("new_name"), w.coder)
            elif action == "move":
                p.move_code(text("name"), text("parent") or None, w.coder)
            elif action == "merge":
                p.merge_codes(text("name"), text("into"), w.coder)
            elif action == "proposal":
                from qdakit.themes.proposals import accept_proposal

                accept_proposal(p, text("id"), w.coder, keep=text("keep") or None)
            else:
                return _codebook_page(w, f"unknown codebook change {action!r}", 404)
        except QdakitError as exc:
            return _codebook_page(w, str(exc), 409)
        return RedirectResponse("/codebook", status_code=303)

    return await w.run(act)


# -- agreement --------------------------------------------------------------------------------------
@route("/agreement")
async def agreement_page(request: Request) -> Response:
    w = wb(request)

    def build() -> Response:
        from qdakit.agreement.reliability import agreement, disagreement_table

        humans = w.project.coders()
        table = dis = None
        message = ""
        if len(humans) >= 2:
            metrics = ("percent", "cohen", "krippendorff", "gwet_ac1") if len(humans) == 2 else \
                ("percent", "fleiss", "krippendorff")
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", UndefinedStatisticWarning)
                    table = agreement(w.project, humans, metrics=metrics)
                    dis = disagreement_table(w.project, humans)
                if any(issubclass(c.category, UndefinedStatisticWarning) for c in caught):
                    message = ("NaN = undefined: a code used by no one, or by everyone on every unit, or too few "
                               "units (as qdakit agree notes).")
            except (QdakitError, ValueError) as exc:
                message = str(exc)
        else:
            message = "Agreement needs two coders: code some turns as a second coder, or import their codings."
        verdicts = _verdicts(w.project)
        segs = w.project.segments()[["id", "transcript_id", "index"]]
        where = {r.id: (r.transcript_id, int(r.index)) for r in segs.itertuples()}
        return w.render("agreement.html", page="agreement", humans=humans, table=table, dis=dis, where=where,
                        verdicts=verdicts, machine_current=verdicts is not None, message=message)

    return await w.run(build)


@route("/agreement/machine", methods=("POST",))
async def agreement_machine(request: Request) -> Response:
    """Cross-validate the machine coder (as ``qdakit agree -c machine`` does), then show the verdicts."""
    w = wb(request)
    await w.check_csrf(request)

    def act() -> Response:
        import warnings

        from qdakit.suggest.crossval import project_machine_codings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            project_machine_codings(w.project)
        return RedirectResponse("/agreement", status_code=303)

    return await w.run(act)


# -- anonymisation review -------------------------------------------------------------------------
@route("/anonymise")
async def anonymise(request: Request) -> Response:
    w = wb(request)

    def build() -> Response:
        from qdakit.analysis.anonymise_review import anonymisation_entries

        entries = anonymisation_entries(w.project)
        return w.render("anonymise.html", page="anonymise", entries=list(entries.itertuples()),
                        decided=int(entries["choice"].notna().sum()), saved=request.query_params.get("saved", ""))

    return await w.run(build)


@route("/anonymise/choice", methods=("POST",))
async def anonymise_choice(request: Request) -> Response:
    w = wb(request)
    body = await w.check_csrf(request)

    def act() -> Response:
        from qdakit.analysis.anonymise_review import save_anonymise_choice

        try:
            save_anonymise_choice(w.project, str(body.get("term", "")), str(body.get("choice", "")), w.coder,
                                  replacement=str(body.get("replacement") or ""))
        except QdakitError as exc:
            return w.render("message.html", status=409, title="Not saved", message=str(exc))
        anchor = hashlib.sha1(str(body.get("term", "")).encode()).hexdigest()[:10]
        return RedirectResponse(f"/anonymise?saved=1#term-{anchor}", status_code=303)

    return await w.run(act)


ROUTES = [codebook, codebook_change, agreement_page, agreement_machine, anonymise, anonymise_choice]

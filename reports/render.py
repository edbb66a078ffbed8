"""The reports' entry point: `render(out, ...)` writes the four kinds of page of a finished run.

`out/index.html` (overview), `out/units/<unit_id>.html` (one per unit with scores),
`out/alerts.html` and `out/methodology.html`. Pages are self-contained: CSS and JS are inlined
from reports/static/, charts are inline SVG, a Content-Security-Policy forbids every external
load, and every text from the data is escaped (autoescape on). Each template is compiled once.
"""
from __future__ import annotations

import pathlib
from importlib import resources

import jinja2
import polars as pl
from markupsafe import Markup

from reports.alerts_page import alerts_context
from reports.charts import grade_colours
from reports.i18n import HTML_LANG, node_label
from reports.methodology import methodology_context
from reports.overview import overview
from reports.scope import banner
from reports.tables import UNIT_ID, prepare
from reports.unit import unit_contexts

RUN_PAGES = (("index", "overview"), ("alerts", "alerts"), ("methodology", "methodology"))  # (page, label key)
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


class _Environment(jinja2.Environment):
    """Contexts are plain dicts: look `row.label` up as a key first (jinja tries the attribute
    first, which for a dict always fails; this halves the cost of the unit pages)."""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def environment() -> jinja2.Environment:
    """The template environment: autoescape everywhere, undefined names are errors."""
    root = resources.files("reports") / "templates"
    return _Environment(
        loader=jinja2.FileSystemLoader(str(root)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
    )


def static(name: str) -> Markup:
    """A CSS or JS source of reports/static, to inline verbatim (our own file, not data).

    It must not contain the text that would end its element early."""
    text = (resources.files("reports") / "static" / name).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"reports/static/{name} contains '</' and cannot be inlined")
    return Markup(text)


def _write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def render(out: pathlib.Path, *, framework, units: pl.DataFrame, scores: pl.DataFrame, indicators: pl.DataFrame,
           alerts: pl.DataFrame, risk: pl.DataFrame, records: pl.DataFrame, manifest: dict,
           lang: str = "zh", audience: str = "internal", audit: pl.DataFrame | dict | None = None,
           sensitivity: pl.DataFrame | None = None, model_card: dict | None = None,
           explanations: pl.DataFrame | None = None, alert_levels: pl.DataFrame | None = None,
           backtest: pl.DataFrame | None = None, predictions: pl.DataFrame | None = None) -> list[pathlib.Path]:
    """Write the HTML report of a run into `out` and return the written paths.

    Parameters
    ----------
    out : pathlib.Path
        Output folder; created if missing. `units/` is created inside it.
    framework : indicators.framework.Framework
        Supplies every label of the index, the weights, grades, vetoes and rules.
    units, scores, indicators, alerts, risk, records : polars.DataFrame
        The run's tables (see reports/README.md for their columns). Missing optional columns
        show as "—"; `records` descriptions must already be masked.
    manifest : dict
        The run manifest (software, version, seed, framework, inputs, timings).
    lang : {"zh", "en"}
        Language of every label.
    audience : {"internal", "public"}
        `public` leaves out record-level evidence, pending objections and model internals.
    audit : polars.DataFrame or dict of them, optional
        Audit results (e.g. `rating.audit.audit_tables(...)`): pairwise correlations (`a, b, r`
        or `row, col, value`) are drawn as a heatmap, other frames shown as tables.
    sensitivity : polars.DataFrame, optional
        Variance-based sensitivity indices: one row per assumption (`assumption` or `factor`) with
        `S1`, `S1_low`, `S1_high`, `ST`, `ST_low`, `ST_high` (a chart and a table); a result
        object with `.indices` (and `.runs`) is accepted too. Other frames are shown as a table.
    model_card : dict, optional
        The early-warning model card (`models.card.build`; internal edition only).
    explanations : polars.DataFrame, optional
        unit_id, year, rank, feature, label_zh, label_en, value, contribution: the features that
        raised each unit's risk most (unit pages, internal edition only).
    alert_levels : polars.DataFrame, optional
        unit_id, year, level, rule_level, model_level, held (unit pages, internal edition only).
    backtest : polars.DataFrame, optional
        The model backtest (model, year, n, events and metrics; year null = pooled), internal only.
    predictions : polars.DataFrame, optional
        Out-of-time predictions (model, unit_id, year, probability, target) for the ROC curves and
        the calibration chart, internal only.

    Returns
    -------
    list of pathlib.Path
        index.html, alerts.html, methodology.html, then the unit pages in unit id order.

    Notes
    -----
    Unit ids are checked against `^[0-9]{6}(-[A-Z][A-Z0-9_]{0,31})?$` before any file is named
    after one; an id that fails raises `indicators.errors.InputError` and nothing is written.
    """
    inp = prepare(framework, units=units, scores=scores, indicators=indicators, alerts=alerts, risk=risk,
                  records=records, manifest=manifest, lang=lang, audience=audience, alert_levels=alert_levels,
                  explanations=explanations)
    out = pathlib.Path(out)
    (out / "units").mkdir(parents=True, exist_ok=True)
    env = environment()
    t = inp.t
    colours = grade_colours(framework)
    man = inp.manifest
    scope = banner(inp)
    site = {
        "framework": node_label(framework, lang), "framework_version": framework.version,
        "year": inp.year if inp.year is not None else "—",
        "edition": t["audience_internal"] if inp.internal else t["audience_public"],
        "software": man.get("software") or "", "version": man.get("version") or "",
        "note": t["official_note"] if scope["official"] else "", "scope": scope,
    }
    common = {"t": t, "lang": lang, "html_lang": HTML_LANG[lang], "csp": Markup(CSP), "css": static("report.css"),
              "site": site, "internal": inp.internal, "nav": RUN_PAGES}
    written = []
    page = env.get_template("index.html")
    written.append(_write(out / "index.html", page.render(
        common, root="", page="index", o=overview(inp, colours),
        js_table=static("table.js"), js_overview=static("overview.js"))))
    page = env.get_template("alerts.html")
    written.append(_write(out / "alerts.html", page.render(
        common, root="", page="alerts", a=alerts_context(inp, colours), js_table=static("table.js"))))
    page = env.get_template("methodology.html")
    written.append(_write(out / "methodology.html", page.render(
        common, root="", page="methodology",
        m=methodology_context(inp, audit=audit, sensitivity=sensitivity, card=model_card, backtest=backtest,
                              predictions=predictions))))
    page = env.get_template("unit.html")
    for uid, ctx in unit_contexts(inp, colours):
        if not UNIT_ID.match(uid):  # checked in prepare(); never name a file after anything else
            raise ValueError(f"refusing unit id {uid!r} as a file name")
        written.append(_write(out / "units" / f"{uid}.html", page.render(common, root="../", page="unit", u=ctx)))
    return written

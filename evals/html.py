"""The self-contained HTML report: one file, no network (inline CSS and JS, charts as data URIs).

Every case shows its conversation, note, checks with why, rubric and the answer drawn from its parts with
citations; passing cases start collapsed, failing ones open; a small script filters and sorts the list.
"""

import base64
from collections import defaultdict
from html import escape

from core.types import Answer, Part
from evals.describe import meta_lines, metric_rows, rubric_status, throttling_line
from evals.results import GRADE_LABELS, CaseResult, Rate, Report

STYLE = """
:root{--pass:#1b7f3b;--fail:#c62828;--human:#b26a00;--line:#d9dde3;--muted:#5f6b7a;--bg:#f7f8fa}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:18px 22px 60px}h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.6em 0 .5em}
.muted{color:var(--muted)}.pass{color:var(--pass)}.fail{color:var(--fail)}.human{color:var(--human)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.8em;font-weight:600;color:#fff;background:var(--muted)}
.badge.pass{background:var(--pass);color:#fff}.badge.fail{background:var(--fail);color:#fff}.badge.human{background:var(--human);color:#fff}
.chip{display:inline-block;padding:0 7px;margin:0 2px;border:1px solid var(--line);border-radius:9px;font-size:.8em;background:#fff}
table{border-collapse:collapse;background:#fff;width:100%}td,th{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.banner{padding:10px 14px;border-radius:6px;margin:10px 0;border:1px solid}
.banner.warn{background:#fff4e0;border-color:#f0c27b}.banner.bad{background:#fdecea;border-color:#f2a7a0}.banner.good{background:#e8f5e9;border-color:#9ccc9f}
.charts{display:flex;gap:12px;flex-wrap:wrap}.charts img{max-width:100%;background:#fff;border:1px solid var(--line)}
#filters{position:sticky;top:0;z-index:2;background:var(--bg);padding:8px 0;border-bottom:1px solid var(--line);display:flex;gap:10px;flex-wrap:wrap;align-items:center}
#filters label{font-size:.85em;color:var(--muted)}#filters select,#filters input{font:inherit;padding:2px 4px}
details.case{background:#fff;border:1px solid var(--line);border-left:5px solid var(--pass);border-radius:4px;margin:6px 0}
details.case.failed{border-left-color:var(--fail)}details.case>summary{cursor:pointer;padding:6px 10px;list-style-position:inside}
details.case>summary .id{font-weight:600;font-family:ui-monospace,monospace}details.case .body{padding:4px 14px 12px}
.turn{margin:4px 0}.turn .q{font-weight:600}.turn .q:before{content:"runner: ";color:var(--muted);font-weight:400}
.note{background:#f3f6fb;border-left:3px solid #8aa4c8;padding:4px 10px;margin:6px 0}
.answer{border:1px solid var(--line);border-radius:4px;padding:8px 12px;margin:8px 0;background:#fcfcfd}
.answer .lead{font-weight:600}.notice{color:#37474f;font-style:italic}
.escalation{background:#fdecea;border:1px solid #f2a7a0;padding:6px 10px;border-radius:4px;margin:4px 0}
.conflict{background:#fff8e1;border:1px solid #f0d48a;padding:6px 10px;border-radius:4px;margin:4px 0}
blockquote{margin:2px 0 6px 0;padding:2px 10px;border-left:3px solid var(--line);color:#37474f}
sup a{text-decoration:none}ol.cites{padding-left:1.6em;margin:4px 0}pre{white-space:pre-wrap;background:#f3f4f6;padding:8px;border-radius:4px}
.diff .add{background:#e6ffec}.diff .del{background:#ffebe9}.diff{font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap;background:#fff;border:1px solid var(--line);padding:6px}
.side{display:grid;grid-template-columns:1fr 1fr;gap:10px}.side>div{min-width:0}
"""

SCRIPT = """
(function(){
  const list = document.getElementById('cases'); if (!list) return;
  const cases = Array.from(list.querySelectorAll('details.case'));
  const $ = (id) => document.getElementById(id);
  const checksOf = (el) => Object.fromEntries(el.dataset.checks.split(' ').filter(Boolean).map((c) => c.split('=')));
  function apply() {
    const cat = $('f-category').value, tag = $('f-tag').value, check = $('f-check').value, verdict = $('f-verdict').value;
    const text = $('f-text').value.trim().toLowerCase();
    let shown = 0;
    for (const el of cases) {
      const checks = checksOf(el);
      let ok = (!cat || el.dataset.category === cat) && (!tag || el.dataset.tags.split(' ').includes(tag));
      // With a check chosen, the verdict filter applies to that check; otherwise to the whole case.
      if (check) ok = ok && check in checks && (!verdict || checks[check] === verdict);
      else if (verdict) ok = ok && el.dataset.verdict === verdict;
      if (text) ok = ok && el.textContent.toLowerCase().includes(text);
      el.hidden = !ok; if (ok) shown++;
    }
    $('f-count').textContent = shown + ' of ' + cases.length + ' case runs shown';
  }
  function sort() {
    const by = $('f-sort').value;
    const key = {
      order: (el) => [+el.dataset.order],
      verdict: (el) => [el.dataset.verdict === 'fail' ? 0 : 1, +el.dataset.order],
      latency: (el) => [-(+el.dataset.latency || 0)],
      category: (el) => [el.dataset.category, +el.dataset.order],
      id: (el) => [el.dataset.key, +el.dataset.order],
    }[by];
    const cmp = (a, b) => { const x = key(a), y = key(b); for (let i = 0; i < x.length; i++) { if (x[i] < y[i]) return -1; if (x[i] > y[i]) return 1; } return 0; };
    cases.slice().sort(cmp).forEach((el) => list.appendChild(el));
  }
  ['f-category', 'f-tag', 'f-check', 'f-verdict'].forEach((id) => $(id).addEventListener('change', apply));
  $('f-text').addEventListener('input', apply);
  $('f-sort').addEventListener('change', sort);
  $('f-open').addEventListener('click', () => cases.forEach((el) => { if (!el.hidden) el.open = true; }));
  $('f-close').addEventListener('click', () => cases.forEach((el) => { el.open = false; }));
  apply();
})();
"""


def page(title: str, body: str, script: str = "") -> str:
    """A complete HTML document; nothing in it refers to another file or the network."""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        # The report holds answers quoted from articles and questions from sets: no script but ours may run.
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main>"
        + (f"<script>{script}</script>" if script else "")
        + "</body></html>\n"
    )


def report_page(report: Report, charts: dict[str, bytes] | None = None) -> str:
    """The whole report as one HTML page; `charts` maps a name to PNG bytes embedded as data URIs."""
    m = report.metrics
    sets = ", ".join(f"{s.name} ({s.cases} cases)" for s in report.sets)
    verdict = ("good", f"all {len(report.thresholds)} thresholds met") if report.thresholds and report.thresholds_passed else (
        ("bad", "thresholds missed: " + "; ".join(b.why for b in report.thresholds if not b.passed)) if report.thresholds else None)
    out = [
        "<h1>Evaluation report</h1>",
        f"<p class='muted'>{escape(sets)} · {escape(report.target)} · {report.repeat} run(s) · "
        f"{report.created:%Y-%m-%d %H:%M} UTC · {report.wall_seconds:.1f} s</p>",
        f"<p><b>{_rate_text(m.pass_rate)}</b> of case runs passed every check.</p>",
    ]
    if verdict:
        out.append(f"<div class='banner {verdict[0]}'>{escape(verdict[1])}</div>")
    if report.throttling.responses:
        out.append(f"<div class='banner warn' id='throttling'>{escape(throttling_line(report))}</div>")
    if report.warnings:
        out.append(f"<div class='banner warn' id='warnings'><b>{len(report.warnings)} warning(s)</b><ul>"
                   + "".join(f"<li>{escape(w)}</li>" for w in report.warnings) + "</ul></div>")
    out += _metrics_section(report, charts or {})
    out += _variants_section(report)
    out.append("<h2>What was run</h2><table id='meta'>" + "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(shown)}</td></tr>" for label, shown in meta_lines(report)) + "</table>")
    out += _case_list(report)
    return page("Evaluation report", "\n".join(out), SCRIPT)


def _metrics_section(report: Report, charts: dict[str, bytes]) -> list[str]:
    m = report.metrics
    rows = [
        f"<tr><td>{escape(label)}</td><td class='num'>{shown}</td><td class='num'>{count}</td><td>"
        + (f"<span class='{'pass' if passed else 'fail'}'>{escape(bar)} {'ok' if passed else 'FAIL'}</span>" if bar else "") + "</td></tr>"
        for label, shown, count, bar, passed in metric_rows(report)
    ]
    per_check = "".join(f"<tr><td>{escape(n)}</td><td class='num'>{_rate_text(r)}</td></tr>" for n, r in m.check_pass_rates.items())
    out = ["<h2>Metrics</h2><table id='metrics'><tr><th>metric</th><th>value</th><th>n</th><th>bar</th></tr>" + "".join(rows) + "</table>",
           "<h2>Per check</h2><table id='per-check'><tr><th>check</th><th>passed</th></tr>" + per_check + "</table>"]
    images = "".join(
        f"<img alt='{escape(alt)}' src='data:image/png;base64,{base64.b64encode(charts[name]).decode()}'>"
        for name, alt in (("category", "pass rate by category"), ("latency", "latency distribution")) if name in charts
    )
    if images:
        out.append(f"<h2>Charts</h2><div class='charts'>{images}</div>")
    return out


def _variants_section(report: Report) -> list[str]:
    """Each original case next to its variants (from `evals vary`): a case that only passes as written stands out."""
    variants: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    originals: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for result in report.cases:
        if result.variant_of:
            variants[(result.set_name, result.variant_of)].append(result)
        else:
            originals[(result.set_name, result.case_id)].append(result)
    if not variants:
        return []
    rows, fragile_count = [], 0
    for key, runs in variants.items():
        original = originals.get(key, [])
        passed = _verdict_of(original) if original else None
        fragile = passed == "pass" and any(not r.passed for r in runs)
        fragile_count += fragile
        shown = f"<span class='badge {passed}'>{passed}</span>" if passed else "<span class='muted'>not run</span>"
        chips = " ".join(
            f"<a class='chip {'pass' if r.passed else 'fail'}' href='#{_anchor(r)}'>{escape(r.case_id.removeprefix(key[1] + '--'))}"
            f" {'✔' if r.passed else '✘'}</a>" for r in runs
        )
        flag = " <b class='fail'>fragile</b>" if fragile else ""
        rows.append(f"<tr class='{'fragile' if fragile else ''}'><td><a href='#{_anchor(original[0]) if original else ''}'>"
                    f"{escape(key[0])}/{escape(key[1])}</a>{flag}</td><td>{shown}</td><td>{chips}</td></tr>")
    return [f"<h2>Robustness: originals and their variants</h2><p>{fragile_count} of {len(rows)} cases pass as written but fail "
            "in at least one variant.</p><table id='variants'><tr><th>original</th><th>verdict</th><th>variants</th></tr>"
            + "".join(rows) + "</table>"]


def _case_list(report: Report) -> list[str]:
    cases = report.cases
    categories = sorted({r.category or "uncategorised" for r in cases})
    tags = sorted({t for r in cases for t in r.tags})
    checks = sorted({c.name for r in cases for c in r.checks})
    filters = (
        "<div id='filters'>"
        f"<label>category <select id='f-category'>{_options(categories)}</select></label>"
        f"<label>tag <select id='f-tag'>{_options(tags)}</select></label>"
        f"<label>check <select id='f-check'>{_options(checks)}</select></label>"
        "<label>verdict <select id='f-verdict'><option value=''>all</option><option>pass</option><option>fail</option></select></label>"
        "<label>text <input id='f-text' type='search' placeholder='words in the case'></label>"
        "<label>sort <select id='f-sort'><option value='order'>as run</option><option value='verdict'>failures first</option>"
        "<option value='latency'>slowest first</option><option value='category'>category</option><option value='id'>id</option></select></label>"
        "<button id='f-open' type='button'>open all</button><button id='f-close' type='button'>close all</button>"
        "<span id='f-count' class='muted'></span></div>"
    )
    items = [_case_html(result, order, report) for order, result in enumerate(cases)]
    return [f"<h2>Cases</h2>{filters}<div id='cases'>" + "\n".join(items) + "</div>"]


def _options(values: list[str]) -> str:
    return "<option value=''>all</option>" + "".join(f"<option>{escape(v)}</option>" for v in values)


def _case_html(result: CaseResult, order: int, report: Report) -> str:
    verdict = "pass" if result.passed else "fail"
    checks_attr = " ".join(f"{c.name}={'pass' if c.passed else 'fail'}" for c in result.checks)
    label = result.key + (f" (run {result.run})" if report.repeat > 1 else "")
    failed = [c.name for c in result.checks if not c.passed]
    latency = f"{result.latency_ms:.1f} ms" if result.latency_ms is not None else "no answer"
    summary = (
        f"<span class='badge {verdict}'>{verdict}</span> <span class='id'>{escape(label)}</span> "
        f"<span class='muted'>{escape(result.category or 'uncategorised')}</span> "
        + "".join(f"<span class='chip'>{escape(t)}</span>" for t in result.tags)
        + f" <span class='muted'>· {latency}</span>"
        + (f" <span class='fail'>· failed: {escape(', '.join(failed))}</span>" if failed else "")
        + (f" <span class='human'>· rubric: {escape(rubric_status(result))}</span>" if result.rubric else "")
    )
    body = ["<div class='body'>"]
    if result.variant_of:
        body.append(f"<p class='muted'>variant of <a href='#{escape(result.set_name)}--{escape(result.variant_of)}--1'>{escape(result.variant_of)}</a></p>")
    for i, turn in enumerate(result.turns, 1):
        last = i == len(result.turns)
        body.append(f"<div class='turn'><div class='q'>{escape(turn.question)}</div>")
        if turn.error:
            body.append(f"<div class='fail'>no answer: {escape(turn.error)}</div>")
        elif not last and turn.answer_text:
            body.append(f"<details><summary class='muted'>bot's answer to turn {i}</summary><pre>{escape(turn.answer_text)}</pre></details>")
        if turn.throttled:
            body.append(f"<div class='human'>throttled: {turn.throttled} × 429, waited {turn.throttle_wait_s:.1f} s</div>")
        body.append("</div>")
    if result.note:
        body.append(f"<div class='note'><b>Note:</b> {escape(result.note)}</div>")
    rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td class='{'pass' if c.passed else 'fail'}'>{'pass' if c.passed else 'FAIL'}</td><td>{escape(c.why)}</td></tr>"
        for c in result.checks
    )
    if result.rubric is not None:
        grade = result.rubric.grade
        cls = "human" if grade is None else ("pass" if grade == 2 else "fail")
        graded = result.rubric.status if grade is None else f"{grade} ({GRADE_LABELS[grade]})"
        rows += (f"<tr class='rubric'><td>rubric</td><td class='{cls}'>{escape(graded)}</td>"
                 f"<td>{escape(result.rubric.rubric)}<br><span class='muted'>{escape(rubric_status(result))}</span></td></tr>")
    body.append(f"<table class='checks'><tr><th>check</th><th>verdict</th><th>why</th></tr>{rows}</table>")
    # warnings read "{set file}: case 'id': …"; ids are unique only within a set, so the set's file must match too
    paths = {s.path for s in report.sets if s.name == result.set_name}
    case_warnings = [w for w in report.warnings if any(w.startswith(f"{p}: case {result.case_id!r}:") for p in paths)]
    if case_warnings:
        body.append("<div class='banner warn'>" + "<br>".join(escape(w) for w in case_warnings) + "</div>")
    if result.answer is not None:
        body.append(answer_html(result.answer))
    body.append("</div>")
    return (
        f"<details class='case{' failed' if not result.passed else ''}' id='{_anchor(result)}'{' open' if not result.passed else ''} "
        f"data-order='{order}' data-key='{escape(result.key)}' data-category='{escape(result.category or 'uncategorised')}' "
        f"data-tags='{escape(' '.join(result.tags))}' data-checks='{escape(checks_attr)}' data-verdict='{verdict}' "
        f"data-latency='{result.latency_ms or 0:.3f}'><summary>{summary}</summary>" + "".join(body) + "</details>"
    )


def answer_html(answer: Answer) -> str:
    """The answer drawn from its parts (notices, escalation, lead, items, disagreements, citations); the Markdown
    text is shown as is when the answer has no parts (an older server, or a decline)."""
    out = ["<div class='answer'>"]
    for notice in answer.notices:
        out.append(f"<p class='notice'>{escape(notice.text)}{_sups(notice.citations)} <span class='chip'>{escape(notice.kind)}</span></p>")
    if answer.escalation:
        e = answer.escalation
        out.append(f"<div class='escalation'><b>{'Urgent: ' if e.urgent else ''}red flag</b> ({escape(', '.join(e.reasons))}): "
                   f"{escape(e.advice)}" + "".join(f"<blockquote>{_part(p)}</blockquote>" for p in e.evidence) + "</div>")
    if answer.lead:
        out.append(f"<p class='lead'>{_part(answer.lead)}</p>")
    if answer.items:
        out.append("<ul>" + "".join(f"<li>{_part(p)}</li>" for p in answer.items) + "</ul>")
    for conflict in answer.conflicts:
        out.append(f"<div class='conflict'><b>The sources disagree: {escape(conflict.topic)}</b><br>{escape(conflict.summary)}"
                   + "".join(f"<blockquote><b>{escape(p.source_id)}</b> ({escape(p.stance)}): “{escape(p.quote)}”</blockquote>" for p in conflict.positions)
                   + (f"<i>{escape(conflict.fits)}</i>" if conflict.fits else "") + "</div>")
    if not (answer.notices or answer.escalation or answer.lead or answer.items):
        out.append(f"<pre>{escape(answer.text)}</pre>")
    if answer.reminder:
        out.append(f"<p class='muted'>{escape(answer.reminder.strip('_* '))}</p>")  # drawn as Markdown italics
    if answer.citations:
        out.append("<ol class='cites'>" + "".join(
            f"<li value='{c.n}' id='c{c.n}'><b>{escape(c.title)}</b>" + (f" › {escape(c.section)}" if c.section else "")
            + f" <span class='muted'>({escape(c.source_id)})</span><blockquote>{escape(c.quote)}</blockquote></li>"
            for c in sorted(answer.citations, key=lambda c: c.n)) + "</ol>")
    out.append(f"<details><summary class='muted'>answer as Markdown</summary><pre>{escape(answer.text)}</pre></details>")
    out.append("</div>")
    return "".join(out)


def _part(part: Part) -> str:
    return escape(part.text) + _sups(part.citations)


def _sups(numbers: list[int]) -> str:
    return "".join(f"<sup>[{n}]</sup>" for n in numbers)


def _anchor(result: CaseResult) -> str:
    return escape(f"{result.set_name}--{result.case_id}--{result.run}")


def _verdict_of(runs: list[CaseResult]) -> str:
    return "pass" if all(r.passed for r in runs) else "fail"


def _rate_text(rate: Rate) -> str:
    return f"{rate.value * 100:.1f}% ({rate.hits}/{rate.total})" if rate.value is not None else "n/a"

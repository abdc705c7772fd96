"""The HTML page of ``equicheck demo``: the claims first (verdict, reasons, figures), then
every check behind them as the report package shows a check.

Why a page of its own: a report lists checks, while the demo's unit is a claim (several
checks, measured conditions and figures that are not about one check). The checks' own
sections, facts and plots come from :func:`equicheck.report.html.context`, so they read as
in every other report. Same rules as the report: Jinja2 with autoescaping, images as
``data:`` SVG, no script, nothing loaded from the network.
"""

# ruff: noqa: E501 - HTML lines are as long as they need to be

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..report import Report
    from .claims import DemoRun

from ..report.template import HEAD, STYLE

__all__ = ["PAGE", "render_page"]

PAGE = (
    HEAD
    + STYLE
    + """table { border-collapse: collapse; width: 100%; margin: .5em 0 1.2em; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; font-weight: 600; font-size: 12px;
         text-transform: uppercase; color: #fff; background: #2e7d32; white-space: nowrap; }
.no .badge, .verdict-failed .badge, .verdict-error .badge { background: #c0392b; }
.verdict-failed.as-claimed .badge { background: #6d4c41; }
article.claim { border: 1px solid #ddd; border-left: 6px solid #2e7d32; padding: .2em 1em 1em;
                margin: 1.5em 0; border-radius: 4px; }
article.claim.no { border-left-color: #c0392b; }
ul.conditions { list-style: none; padding-left: 0; }
ul.conditions li::before { content: "\\2714  "; color: #2e7d32; }
ul.conditions li.unmet::before { content: "\\2718  "; color: #c0392b; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; margin: .5em 0; }
figcaption { font-size: 12px; color: #555; max-width: 60em; }
details.check { border-top: 1px solid #eee; padding: .3em 0; }
details.check summary { cursor: pointer; }
.contradicts { color: #c0392b; font-weight: 600; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p><strong>{{ held }}</strong> of <strong>{{ claims|length }}</strong> claims hold.
{{ checks_count }} checks, {{ elapsed }} on {{ backend }}; mode <code>{{ mode }}</code>, seed {{ seed }}.</p>
<p class="note">Created {{ created }} by equicheck {{ version }} with <code>{{ command }}</code>.
A claim holds when every check gives the verdict the claim predicts and every measured
condition is met. Errors are max|f(g·x) − g·f(x)| relative to the output's size (exact
elements) or relative RMS judged against the interpolation floor (rotations, scalings).</p>
</header>

<section id="summary">
<h2>Claims</h2>
<div class="table-wrap"><table>
<thead><tr><th>Verdict</th><th>Claim</th><th>Checks</th><th>Time</th></tr></thead>
<tbody>
{% for c in claims %}
<tr class="{{ 'yes' if c.holds else 'no' }}">
<td><a href="#claim-{{ c.id }}"><span class="badge">{{ 'holds' if c.holds else 'does not hold' }}</span></a></td>
<td>{{ c.title }}</td>
<td class="num">{{ c.checks|length }}</td>
<td class="num">{{ c.time }}</td>
</tr>
{% endfor %}
</tbody>
</table></div>
</section>

{% for c in claims %}
<article id="claim-{{ c.id }}" class="claim {{ 'yes' if c.holds else 'no' }}">
<h2><span class="badge">{{ 'holds' if c.holds else 'does not hold' }}</span> {{ c.title }}</h2>
<p>{{ c.why }}</p>
<p><strong>Verdict:</strong> {{ c.verdict }}</p>
{% if c.conditions %}
<ul class="conditions">
{% for text, ok in c.conditions %}<li class="{{ 'met' if ok else 'unmet' }}">{{ text }}</li>
{% endfor %}
</ul>
{% endif %}
{% if c.findings %}
<h3>Measured</h3>
<ul>
{% for text in c.findings %}<li>{{ text }}</li>
{% endfor %}
</ul>
{% endif %}
{% if c.figures %}
<div class="figures">
{% for p in c.figures %}<figure><img src="{{ p.src }}" alt="{{ p.alt }}"><figcaption>{{ p.alt }}</figcaption></figure>
{% endfor %}
</div>
{% endif %}
<h3>Checks</h3>
<div class="table-wrap"><table>
<thead><tr><th>Verdict</th><th>Check</th><th>Claim predicts</th><th>Function</th><th>Group</th><th>Max error / tolerance</th><th>Inputs</th><th>Elements</th></tr></thead>
<tbody>
{% for k in c.checks %}
<tr class="verdict-{{ k.entry.verdict }}{{ ' as-claimed' if k.as_claimed else '' }}">
<td><a href="#check-{{ k.entry.index }}"><span class="badge">{{ k.entry.verdict }}</span></a></td>
<td>{{ k.label }}</td>
<td>{{ k.expect }}{% if not k.as_claimed %} <span class="contradicts">(contradicts the claim)</span>{% endif %}</td>
<td class="name"><code>{{ k.entry.function }}</code></td>
<td><code>{{ k.entry.group }}</code></td>
<td class="num">{{ k.entry.error }}</td>
<td class="num">{{ k.entry.examples }}</td>
<td class="num">{{ k.entry.elements }}</td>
</tr>
{% endfor %}
</tbody>
</table></div>
{% for k in c.checks %}
<details id="check-{{ k.entry.index }}" class="check verdict-{{ k.entry.verdict }}"{% if not k.as_claimed %} open{% endif %}>
<summary><span class="badge">{{ k.entry.verdict }}</span> {{ k.label }}: <code>{{ k.entry.function }}</code> under <code>{{ k.entry.group }}</code>{% if not k.as_claimed %} <span class="contradicts">contradicts the claim</span>{% endif %}</summary>
<dl class="facts">
{% for name, value in k.entry.facts %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
{% if k.message %}<pre class="message">{{ k.message }}</pre>{% endif %}
{% if k.entry.counterexample %}
<h4>Counterexample (after shrinking)</h4>
<dl class="facts">
{% for name, value in k.entry.counterexample %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
{% endif %}
{% if k.entry.plots %}
<div class="figures">
{% for p in k.entry.plots %}<figure><img src="{{ p.src }}" alt="{{ p.alt }}"><figcaption>{{ p.alt }}</figcaption></figure>
{% endfor %}
</div>
{% endif %}
</details>
{% endfor %}
</article>
{% endfor %}

<section id="environment">
<h2>Environment</h2>
{% for env in environments %}
<dl class="facts">
{% for name, value in env %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
{% endfor %}
</section>
</body>
</html>
"""
)


def render_page(run: DemoRun, report: Report, command: str = "equicheck demo") -> str:
    """The demo page for ``run``, whose checks are ``report.results`` in the same order."""
    import jinja2

    from .. import __version__
    from ..report.html import context, plot_uri

    base = context(report)
    entries = {entry["index"]: entry for entry in base["checks"]}
    claims: list[dict[str, Any]] = []
    index = 0
    for claim in run.claims:
        checks = []
        for c in claim.checks:
            entry = entries[index]
            index += 1
            checks.append(
                {
                    "label": c.label,
                    "expect": c.expect or "no verdict (a measurement)",
                    "as_claimed": c.as_claimed,
                    "entry": entry,
                    # the report shows messages of failures only; here every message tells something
                    "message": c.result.message,
                }
            )
        claims.append(
            {
                "id": claim.id,
                "title": claim.title,
                "why": claim.why,
                "holds": claim.holds,
                "verdict": claim.verdict_text(),
                "conditions": claim.conditions,
                "findings": claim.findings,
                "figures": [{"src": plot_uri(p.svg), "alt": p.alt} for p in claim.figures],
                "checks": checks,
                "time": f"{claim.elapsed:.1f}s",
            }
        )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(PAGE).render(
        title=report.title,
        created=report.created,
        version=__version__,
        command=command,
        claims=claims,
        held=sum(c["holds"] for c in claims),
        checks_count=len(report.results),
        elapsed=f"{run.elapsed:.1f}s",
        backend=f"{run.backend} ({run.device})",
        mode=run.budget.name,
        seed=run.seed,
        environments=base["environments"],
    )

"""The Jinja2 template of the HTML report (kept in Python so that it installs with the code).

Every value is escaped by Jinja2's autoescaping; the page has no script, loads nothing
(a Content-Security-Policy forbids it) and shows plots as ``data:`` SVG images, in which
no script runs either.
"""

# ruff: noqa: E501 - HTML lines are as long as they need to be

from __future__ import annotations

__all__ = ["HEAD", "PAGE", "STYLE"]

HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="equicheck {{ version }}">
<title>{{ title }}</title>
<style>
"""

#: The stylesheet of every equicheck page (the demo page adds its own rules after it).
STYLE = """body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 0 1.5em 3em; color: #222; }
h1 { margin-bottom: .2em; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: .7em; overflow-x: auto; white-space: pre-wrap; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
td.name code, h3 code, summary code { overflow-wrap: anywhere; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; font-weight: 600;
         font-size: 12px; text-transform: uppercase; color: #fff; background: #2e7d32; }
.verdict-failed .badge, .verdict-error .badge { background: #c0392b; }
.verdict-inconclusive .badge { background: #b7950b; }
tr.verdict-failed td, tr.verdict-error td { background: #fdf0ee; }
.counts span { margin-right: 1em; }
article.check { border: 1px solid #ddd; border-left: 6px solid #2e7d32; padding: .2em 1em 1em;
                margin: 1.2em 0; border-radius: 4px; }
article.verdict-failed, article.verdict-error { border-left-color: #c0392b; }
article.verdict-inconclusive { border-left-color: #b7950b; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .5em 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; word-break: break-word; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; max-width: 100%; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #555; }
.note { color: #666; font-style: italic; }
.partial { background: #fff4d6; border-left: 6px solid #b7950b; padding: .4em .8em; }
table.matrix td { white-space: nowrap; }
td.cell-passed { background: #e3f1e4; }
td.cell-failed, td.cell-error { background: #f8d7d3; }
td.cell-inconclusive { background: #fbf0c4; }
"""

PAGE = (
    HEAD
    + STYLE
    + """</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
{% if partial %}<p class="partial"><strong>{{ partial }}</strong>: the run did not complete;
the checks of the tests that did not run are missing.</p>
{% endif %}<p class="counts">
<span><strong>{{ counts.checks }}</strong> checks</span>
<span class="verdict-passed"><strong>{{ counts.passed }}</strong> passed</span>
<span class="verdict-failed"><strong>{{ counts.failed }}</strong> failed</span>
{% if counts.error %}<span class="verdict-error"><strong>{{ counts.error }}</strong> errors</span>{% endif %}
{% if counts.inconclusive %}<span><strong>{{ counts.inconclusive }}</strong> inconclusive</span>{% endif %}
</p>
<p class="note">Created {{ created }} by equicheck {{ version }}. An error is
max|f(g·x) − g·f(x)| relative to the output's size; a check passes when every error is
within its tolerance.</p>
</header>

{% if matrix %}
<section id="matrix">
<h2>Matrix</h2>
<div class="table-wrap"><table class="matrix">
<thead><tr><th>Target</th>{% for g in matrix.columns %}<th><code>{{ g }}</code></th>{% endfor %}</tr></thead>
<tbody>
{% for row in matrix.rows %}<tr><td class="name"><code>{{ row.name }}</code></td>
{% for c in row.cells %}{% if c %}<td class="cell-{{ c.verdict }}"><a href="#check-{{ c.index }}">{{ c.verdict }}</a><br><span class="num">{{ c.text }}</span></td>{% else %}<td>-</td>{% endif %}
{% endfor %}</tr>
{% endfor %}
</tbody>
</table></div>
</section>
{% endif %}

<section id="summary">
<h2>Summary</h2>
{% if checks %}
<div class="table-wrap"><table>
<thead><tr><th>Verdict</th><th>Test</th><th>Function</th><th>Group</th><th>Actions</th>
<th>Max error / tolerance</th><th>Inputs</th><th>Elements</th><th>Time</th></tr></thead>
<tbody>
{% for c in checks %}
<tr class="verdict-{{ c.verdict }}">
<td><a href="#check-{{ c.index }}"><span class="badge">{{ c.verdict_label }}</span></a></td>
<td class="name"><code>{{ c.test_id }}</code></td>
<td class="name"><code>{{ c.function }}</code></td>
<td><code>{{ c.group }}</code></td>
<td><code>{{ c.actions }}</code></td>
<td class="num">{{ c.error }}</td>
<td class="num">{{ c.examples }}</td>
<td class="num">{{ c.elements }}</td>
<td class="num">{{ c.time }}</td>
</tr>
{% endfor %}
</tbody>
</table></div>
{% else %}
<p class="note">No checks were recorded.</p>
{% endif %}
</section>

<section id="checks">
{% if checks %}<h2>Checks</h2>{% endif %}
{% for c in checks %}
<article id="check-{{ c.index }}" class="check verdict-{{ c.verdict }}">
<h3><span class="badge">{{ c.verdict_label }}</span> <code>{{ c.function }}</code> under <code>{{ c.group }}</code></h3>
<dl class="facts">
{% for name, value in c.facts %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
{% if c.message %}<pre class="message">{{ c.message }}</pre>{% endif %}
{% if c.counterexample %}
<h4>Counterexample (after shrinking)</h4>
<dl class="facts">
{% for name, value in c.counterexample %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
{% endif %}
{% if c.plots %}
<div class="figures">
{% for p in c.plots %}<figure><img src="{{ p.src }}" alt="{{ p.alt }}"><figcaption>{{ p.alt }}</figcaption></figure>
{% endfor %}
</div>
{% elif c.plots_omitted %}<p class="note">Plots left out ({{ c.plots_omitted }}).</p>
{% endif %}
{% if c.layers %}
<h4>Layers</h4>
<p><strong>{{ c.layers.headline }}</strong> {{ c.layers.advice }}</p>
{% for n in c.layers.notes %}<p class="note">{{ n }}</p>{% endfor %}
<table class="layers"><thead><tr>{% for h in c.layers.columns %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for r in c.layers.rows %}<tr{% if r.breaks %} class="verdict-failed"{% endif %}>{% for v in r.cells %}<td><code>{{ v }}</code></td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if c.layers.omitted %}<p class="note">{{ c.layers.omitted }} more layer calls not shown.</p>{% endif %}
{% if c.layers.plots %}<div class="figures">
{% for p in c.layers.plots %}<figure><img src="{{ p.src }}" alt="{{ p.alt }}"><figcaption>{{ p.alt }}</figcaption></figure>
{% endfor %}</div>{% endif %}
{% endif %}
</article>
{% endfor %}
</section>

<section id="environments">
<h2>Environment{% if environments|length > 1 %}s{% endif %}</h2>
{% for env in environments %}
<h3>#{{ loop.index0 }}</h3>
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

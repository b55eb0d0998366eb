"""Rendering a review: JSON (exactly Review.to_dict), coloured terminal text, HTML."""

from __future__ import annotations

import html
import json

from screening.findings import SEVERITY_LABELS_ZH, Finding, Severity
from screening.lexicon import CATEGORY_LABELS_ZH

_SEV_STYLE = {
    Severity.VIOLATION: "bold white on red",
    Severity.NEEDS_QUALIFICATION: "bold black on dark_orange",
    Severity.NEEDS_EVIDENCE: "black on yellow",
    Severity.WARNING: "black on cyan",
}


def to_json(review_dict: dict) -> str:
    return json.dumps(review_dict, ensure_ascii=False, indent=2)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def to_text(text: str, review, name: str = "", console=None) -> None:
    """Print the review to a rich console (colours only on a terminal)."""
    from rich.console import Console
    from rich.text import Text

    console = console or Console()
    s = review.summary
    head = f"{name}：" if name else ""
    sev = "，".join(f"{SEVERITY_LABELS_ZH[Severity(k)]} {v}" for k, v in s["by_severity"].items() if v)
    console.print(Text(f"{head}共 {s['total']} 处风险" + (f"（{sev}）" if sev else "，未发现问题"), style="bold"))
    for f in review.findings:
        line, col = _line_col(text, f.start)
        t = Text(f"  第{line}行第{col}列 ")
        t.append(f" {f.text} ", style=_SEV_STYLE[f.severity])
        t.append(f" [{SEVERITY_LABELS_ZH[f.severity]}] {f.message}")
        console.print(t)
        console.print(Text(f"      依据：{f.law}    建议改为：{' / '.join(f.suggestions)}", style="dim"))
    if review.findings:
        console.print(Text("改写后的脚本：", style="bold"))
        console.print(review.rewritten, markup=False, highlight=False)


_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:60rem;color:#222;line-height:1.8}
h1{font-size:1.4rem} table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #ccc;padding:.2rem .6rem}
.script{white-space:pre-wrap;border:1px solid #ddd;padding:1rem;border-radius:6px;background:#fafafa}
mark{border-radius:3px;padding:0 2px;cursor:help;position:relative}
mark.violation{background:#f8b4b4} mark.needs_qualification{background:#fcd9a8}
mark.needs_evidence{background:#fff3a3} mark.warning{background:#bfe9f5}
mark .tip{display:none;position:absolute;left:0;top:1.6em;z-index:9;width:22rem;background:#fff;border:1px solid #999;
 padding:.5rem;font-size:.85rem;line-height:1.5;box-shadow:0 2px 6px rgba(0,0,0,.2);white-space:normal}
mark:hover .tip,mark:focus .tip{display:block}
li{margin:.3rem 0} .law{color:#555;font-size:.9rem}
"""


def to_html(text: str, review, name: str = "") -> str:
    s = review.summary
    esc = html.escape
    parts, pos = [], 0
    for i, f in enumerate(review.findings):
        parts.append(esc(text[pos : f.start]))
        tip = (f"<span class='tip'><b>{esc(SEVERITY_LABELS_ZH[f.severity])}</b> · {esc(f.rule_id)}<br>{esc(f.message)}"
               f"<br>依据：{esc(f.law)}<br>建议：{esc(' / '.join(f.suggestions))}</span>")
        parts.append(f"<mark id='f{i}' tabindex='0' class='{f.severity.value}'>{esc(text[f.start:f.end])}{tip}</mark>")
        pos = f.end
    parts.append(esc(text[pos:]))
    rows = "".join(
        f"<tr><td>{SEVERITY_LABELS_ZH[Severity(k)]}</td><td>{v}</td></tr>" for k, v in s["by_severity"].items()
    )
    items = "".join(
        f"<li><a href='#f{i}'>{esc(f.text)}</a> <b>[{SEVERITY_LABELS_ZH[f.severity]}]</b> {esc(f.message)}"
        f"<br><span class='law'>依据：{esc(f.law)}；建议：{esc(' / '.join(f.suggestions))}</span></li>"
        for i, f in enumerate(review.findings)
    )
    cat = CATEGORY_LABELS_ZH.get(s.get("category", ""), s.get("category", ""))
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>脚本审核报告 {esc(name)}</title><style>{_CSS}</style></head><body>
<h1>直播脚本合规审核报告{(' · ' + esc(name)) if name else ''}</h1>
<p>品类：{esc(cat)}；字数：{s['chars']}；风险共 {s['total']} 处；词库版本 {esc(s.get('lexicon_version', ''))}</p>
<table><tr><th>级别</th><th>数量</th></tr>{rows}</table>
<h2>标注原文</h2><div class="script">{''.join(parts)}</div>
<h2>问题清单</h2><ol>{items or '<li>未发现问题</li>'}</ol>
<h2>改写后的脚本</h2><div class="script">{esc(review.rewritten)}</div>
<p class="law">本报告由自动审核生成，仅供合规参考，不构成法律意见。</p>
</body></html>"""


def finding_line(f: Finding) -> str:
    return f"{f.text}［{SEVERITY_LABELS_ZH[f.severity]}］{f.message}（{f.law}）"

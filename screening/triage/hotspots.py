"""咨询热点报告: question topics, intent mix and top complaints over a time range.

Topic share = share of ``question`` comments that mention the topic (so one comment
asking about 防水 and 尺码 counts for both).  Topics come from the alias table in
lexicons/templates.yaml (防水/下雨 → 防水性) and, for anything not listed there, from
jieba keywords (nouns and verbs of two or more characters, question words removed).
The HTML is self-contained: inline CSS and SVG, no scripts, no external resources.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import datetime, timezone
from functools import lru_cache

from screening.triage.labels import COMPLAINT_INTENTS, INTENT_LABELS_ZH, INTENTS

STOP = set("""
主播 请问 求问 这个 那个 这款 那款 一下 一个 什么 怎么 怎么样 多少 可以 能不能 可不可以 是不是 有没有 吗 呢 吧 啊 呀 哦
的 了 是 有 在 我 你 他 她 它 们 和 就 都 也 还 又 很 太 会 能 要 想 说 看 给 用 买 拍 现在 今天 刚来 家人们 姐妹们 大家
适合 合适 比较 一点 感觉 东西 宝贝 链接 号链接 直播间 下单 已经 还是 或者 但是 因为 所以 如果 这么 那么 哪个 哪里
知道 觉得 需要 时候 一直 真的 自己 我们 你们 他们 收到 商品 产品 问题 有点 不是 没有 不能 不会 一样 好的 谢谢
""".split())
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,8}$")


@lru_cache(maxsize=1)
def _posseg():
    import jieba.posseg as pseg

    from screening.screener import jieba_ready

    jieba_ready()
    return pseg


def keywords(text: str) -> list[str]:
    """Distinct content words of a comment (nouns, verbs, adjectives; 2+ chars)."""
    out = []
    for w, flag in _posseg().lcut(text):
        if w in STOP or not _WORD.match(w) or not flag or flag[0] not in "nva":
            continue
        if w not in out:
            out.append(w)
    return out


def topics_of(text: str, aliases: dict[str, list[str]]) -> list[str]:
    found = [topic for topic, words in aliases.items() if any(w in text for w in words)]
    if found:
        return found
    return keywords(text)[:3]


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def build_report(rows: list[dict], *, start: float | None = None, end: float | None = None,
                 aliases: dict[str, list[str]] | None = None, top: int = 10, examples: int = 3) -> dict:
    aliases = aliases or {}
    total = len(rows)
    by_intent = Counter(r["intent"] for r in rows)
    questions = [r for r in rows if r["intent"] == "question"]
    topic_count: Counter[str] = Counter()
    topic_examples: dict[str, list[str]] = {}
    for r in questions:
        for t in topics_of(r["text"], aliases):
            topic_count[t] += 1
            ex = topic_examples.setdefault(t, [])
            if len(ex) < examples and r["text"] not in ex:
                ex.append(r["text"])
    complaints = []
    for intent in sorted(COMPLAINT_INTENTS, key=lambda k: -by_intent.get(k, 0)):
        items = [r for r in rows if r["intent"] == intent]
        if not items:
            continue
        kw: Counter[str] = Counter()
        for r in items:
            kw.update(keywords(r["text"])[:4])
        complaints.append({
            "intent": intent, "label": INTENT_LABELS_ZH[intent], "count": len(items), "share": _share(len(items), total),
            "keywords": [{"word": w, "count": c} for w, c in kw.most_common(8)],
            "examples": [r["text"] for r in sorted(items, key=lambda r: -r.get("negative", 0))[:examples]],
        })
    negatives = sum(1 for r in rows if r.get("negative", 0) >= 0.5)
    fmt = lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat() if t is not None else None  # noqa: E731
    return {
        "range": {"start": fmt(start), "end": fmt(end)},
        "total_comments": total,
        "question_comments": len(questions),
        "negative_share": _share(negatives, total),
        "question_topics": [
            {"topic": t, "count": c, "share": _share(c, len(questions)), "examples": topic_examples[t]}
            for t, c in topic_count.most_common(top)
        ],
        "intent_mix": [{"intent": k, "label": INTENT_LABELS_ZH[k], "count": by_intent.get(k, 0),
                        "share": _share(by_intent.get(k, 0), total)} for k in INTENTS],
        "top_complaints": complaints,
    }


# ---------------------------------------------------------------------- HTML
def _bars(items: list[tuple[str, float, str]], *, width: int = 560, color: str = "#2f6fb3") -> str:
    """A horizontal bar chart as inline SVG: (label, value 0..1, caption)."""
    if not items:
        return '<p class="muted">（无数据）</p>'
    row, label_w, pad = 26, 120, 8
    h = row * len(items) + pad
    vmax = max(v for _, v, _ in items) or 1.0
    bar_w = width - label_w - 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img" '
             f'viewBox="0 0 {width} {h}" font-family="sans-serif" font-size="13">']
    for i, (label, v, caption) in enumerate(items):
        y = pad // 2 + i * row
        w = max(1.0, bar_w * v / vmax)
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end">{html.escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{color}" rx="2">'
                     f'<title>{html.escape(label)} {html.escape(caption)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{html.escape(caption)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: dict, title: str = "咨询热点报告") -> str:
    e = html.escape
    rng = report["range"]
    topics = [(t["topic"], t["share"], f'{t["share"] * 100:.1f}%（{t["count"]}）') for t in report["question_topics"]]
    mix = [(m["label"], m["share"], f'{m["share"] * 100:.1f}%（{m["count"]}）') for m in report["intent_mix"] if m["count"]]
    topic_rows = "".join(
        f'<tr><td>{e(t["topic"])}</td><td>{t["share"] * 100:.1f}%</td><td>{t["count"]}</td>'
        f'<td>{"<br>".join(e(x) for x in t["examples"])}</td></tr>' for t in report["question_topics"])
    complaint_rows = "".join(
        f'<tr><td>{e(c["label"])}</td><td>{c["count"]}</td><td>{c["share"] * 100:.1f}%</td>'
        f'<td>{e("、".join(k["word"] for k in c["keywords"]))}</td>'
        f'<td>{"<br>".join(e(x) for x in c["examples"])}</td></tr>' for c in report["top_complaints"])
    headline = ""
    if report["question_topics"]:
        t0 = report["question_topics"][0]
        headline = f'<p class="headline">“{e(t0["topic"])}”提问占比 {t0["share"] * 100:.0f}%</p>'
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body{{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:960px}}
h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}}
table{{border-collapse:collapse;width:100%;font-size:13px}} td,th{{border:1px solid #ddd;padding:4px 6px;vertical-align:top}}
th{{background:#f4f6f8;text-align:left}} .muted{{color:#888}} .headline{{font-size:18px;color:#b3402f;font-weight:bold}}
.kpi span{{display:inline-block;margin-right:24px}}
</style></head><body>
<h1>{e(title)}</h1>
<p class="muted">时间范围：{e(str(rng["start"] or "最早"))} 至 {e(str(rng["end"] or "现在"))}（UTC）</p>
<p class="kpi"><span>评论总数 <b>{report["total_comments"]}</b></span><span>咨询 <b>{report["question_comments"]}</b></span>
<span>负面占比 <b>{report["negative_share"] * 100:.1f}%</b></span></p>
{headline}
<h2>咨询话题占比（占咨询类评论）</h2>
{_bars(topics)}
<table><tr><th>话题</th><th>占比</th><th>条数</th><th>示例</th></tr>{topic_rows}</table>
<h2>评论意图分布</h2>
{_bars(mix, color="#5b8c5a")}
<h2>主要投诉</h2>
<table><tr><th>类型</th><th>条数</th><th>占比</th><th>关键词</th><th>示例</th></tr>{complaint_rows or '<tr><td colspan="5" class="muted">无</td></tr>'}</table>
</body></html>
"""

"""咨询热点报告 from real triage output: topic shares, intent mix, complaints, self-contained HTML."""

from __future__ import annotations

import re

import pytest

from screening.triage.hotspots import build_report, render_html
from tests.triage_support import default_triage

QUESTIONS = [
    "这件冲锋衣防水吗", "下雨天能穿吗", "防水性怎么样，淋雨会湿吗", "泼水测试可以演示一下吗",  # 防水 ×4
    "160斤穿什么码", "偏大还是偏小", "有尺码表吗", "脚宽的要拍大一码吗",  # 尺码 ×4
    "是纯棉的吗", "面料是什么", "敏感肌能用吗", "充一次电能用多久", "保质期多久", "能机洗吗",
    "有没有黑色的", "冬天穿会不会冷", "孕妇可以用吗", "宝宝能吃吗", "怎么用，第一次用不会", "老人用方便吗",
]
OTHERS = ["质量太差了，穿一次就起球", "做工粗糙，线头很多", "物流太慢了，一周还没到", "快递到现在还没发货",
          "申请退款没人处理", "已下单，好看", "主播好美", "多少钱", "来了来了", "加我vx：abc12345 内部价"]


@pytest.fixture(scope="module")
def report():
    tri = default_triage()
    results = tri.triage(QUESTIONS + OTHERS)
    rows = [{"id": r.id, "text": r.text, "intent": r.intent, "negative": r.negative, "ts": 1000.0 + i}
            for i, r in enumerate(results)]
    return build_report(rows, start=0, end=2000, aliases=tri.templates.topics), rows


def test_topic_shares_are_shares_of_question_comments(report):
    rep, rows = report
    n_q = sum(r["intent"] == "question" for r in rows)
    assert rep["question_comments"] == n_q >= 16
    topics = {t["topic"]: t for t in rep["question_topics"]}
    assert topics["防水性"]["count"] >= 3 and topics["尺码"]["count"] >= 3
    assert topics["防水性"]["share"] == pytest.approx(topics["防水性"]["count"] / n_q, abs=1e-3)
    assert rep["question_topics"][0]["topic"] in ("防水性", "尺码")
    assert all(t["examples"] for t in rep["question_topics"])


def test_intent_mix_and_complaints(report):
    rep, rows = report
    mix = {m["intent"]: m for m in rep["intent_mix"]}
    assert sum(m["count"] for m in mix.values()) == len(rows)
    assert abs(sum(m["share"] for m in mix.values()) - 1) < 0.01
    kinds = {c["intent"] for c in rep["top_complaints"]}
    assert {"quality", "logistics"} <= kinds
    quality = next(c for c in rep["top_complaints"] if c["intent"] == "quality")
    assert quality["examples"] and quality["keywords"]


def test_html_is_self_contained_with_an_svg_chart(report):
    rep, _ = report
    html = render_html(rep)
    assert html.startswith("<!doctype html>") and "<svg" in html and "</html>" in html
    assert "防水性" in html and "提问占比" in html
    assert not re.search(r"<script|<link|src=|https?://(?!www\.w3\.org/2000/svg)", html)


def test_html_escapes_comment_text():
    rows = [{"text": "<script>alert(1)</script>能机洗吗", "intent": "question", "negative": 0.1, "ts": 1.0}]
    html = render_html(build_report(rows))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_empty_range_is_a_valid_report():
    rep = build_report([], start=0, end=10)
    assert rep["total_comments"] == 0 and rep["question_topics"] == []
    assert "无" in render_html(rep)

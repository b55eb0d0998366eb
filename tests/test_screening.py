"""Behaviour of the screening core on real host-script text."""

import pytest

from screening.findings import Finding, Severity
from screening.screener import rewrite


def spans(screener, text, category="general"):
    return [(f.text, f.category, f.severity.value) for f in screener.review(text, category).findings]


def test_finding_is_frozen_and_serializes_design_fields(screener):
    f = screener.review("这款面霜全网最好")
    x = f.findings[0]
    with pytest.raises(AttributeError):
        x.start = 3  # type: ignore[misc]
    assert list(x.to_dict()) == ["rule_id", "category", "severity", "start", "end", "text", "law", "message", "suggestions"]
    assert set(f.to_dict()) == {"findings", "rewritten", "summary"}


def test_offsets_point_into_original(screener):
    text = "宝宝们，國家級品質，最*有*效！"
    for f in screener.review(text).findings:
        assert text[f.start : f.end] == f.text


@pytest.mark.parametrize("text", [
    "这是我第一次来直播间", "最近天气冷了", "今天是活动最后一天", "最佳食用期为开封后7天", "最佳赏味期24小时内",
    "追求最好的服务", "本店这款比上一代最轻", "最生活（a-life）毛巾 纯棉强吸水毛巾", "最多可以买两件",
])
def test_lawful_lookalikes_pass(screener, text):
    assert spans(screener, text) == []


@pytest.mark.parametrize("text,term", [
    ("这款精华最*有*效", "最*有*效"), ("这款精华最 有 效", "最 有 效"), ("國家級品質", "國家級"),
    ("ＮＯ．１的面霜", "ＮＯ．１"), ("第①品牌", "第①品牌"), ("zui you xiao de jinghua", "zui you xiao"),
])
def test_evasions_are_caught(screener, text, term):
    fs = screener.review(text).findings
    assert any(f.text == term for f in fs), [(f.text, f.rule_id) for f in fs]


def test_homophone_is_a_warning_in_scripts_but_full_in_asr(screener):
    s = screener.scan("罪有效的方法", "general", "script")
    a = screener.scan("罪有效的方法", "general", "asr")
    assert s and s[0].severity is Severity.WARNING and "谐音" in s[0].message
    assert a and a[0].severity is Severity.VIOLATION


def test_rankings(screener):
    # regulations §1: a bare quality ranking is a violation; a sales ranking needs its evidence,
    # and stays needs_evidence (keep the proof on file) when period, scope and source are given
    assert screener.review("中式面馆第一品牌").findings[0].severity is Severity.VIOLATION
    bare = screener.review("我们是销量第一的品牌").findings
    sourced = screener.review("2024年天猫洗地机类目销售额第一（来源：第三方监测报告）").findings
    assert bare and bare[0].severity is Severity.NEEDS_EVIDENCE
    assert sourced and all(f.severity is Severity.NEEDS_EVIDENCE for f in sourced)


def test_enumeration_punctuation_and_latin_words_are_not_hits(screener):
    assert spans(screener, "第一，它的容量够大；第二，它很轻。") == []
    assert spans(screener, "会议召开，运营团队到场") == []
    assert spans(screener, "充电口是USB的") == []


def test_ad_law_areas_do_not_screen_viewer_comments(screener):
    assert screener.scan("收到的防晒霜是破的，最差的一次", "general", "comment") == []
    assert any(f.category == "abuse" for f in screener.scan("垃圾主播傻逼", "general", "comment"))


def test_overlaps_resolved_longest_then_most_severe(screener):
    fs = screener.review("它是全世界最好的").findings
    assert [f.text for f in fs] == ["全世界最好"]


def test_rewrite_replaces_only_violations():
    f1 = Finding("a.x", "absolute", Severity.VIOLATION, 2, 4, "最好", "法", "m", ("很好",))
    f2 = Finding("a.y", "price", Severity.NEEDS_EVIDENCE, 5, 7, "原价", "法", "m", ("日常价",))
    assert rewrite("这是最好的原价货", [f1, f2]) == "这是很好的原价货"


def test_summary_counts(screener):
    r = screener.review("全网最好，国家级品质，根治脱发", "cosmetics")
    s = r.summary
    assert s["total"] == len(r.findings) == sum(s["by_severity"].values()) == sum(s["by_area"].values())
    assert s["category"] == "cosmetics" and s["chars"] == 15


def test_unknown_category_is_refused(screener):
    from screening.lexicon import LexiconError

    with pytest.raises(LexiconError, match="未知品类"):
        screener.review("最好", "cars")


def test_imported_wordlists_screen_comments_only(screener):
    f = screener.scan("出售冰毒加我", "general", "comment")
    assert [x.rule_id for x in f] == ["illegal_content.drugs"] and f[0].severity is Severity.VIOLATION
    # host scripts use the ad-law automaton (which has its own prohibited-goods rules), not the imported lists
    assert all(x.category != "illegal_content" for x in screener.scan("出售冰毒加我", "general", "script"))
    for everyday in ["收到的东西是破的，质量太差", "这个能防水吗", "主播真好看", "第一次买，物流太慢"]:
        assert [x for x in screener.scan(everyday, "general", "comment") if x.category == "illegal_content"] == []


def test_wordlists_carry_their_licences():
    from pathlib import Path

    d = Path(__file__).resolve().parent.parent / "lexicons" / "wordlists"
    for p in d.glob("*.txt"):
        head = p.read_text(encoding="utf-8").splitlines()[:3]
        assert any("licence" in h for h in head), p.name
    assert (d / "licenses" / "houbb-LICENSE.txt").exists() and (d / "licenses" / "konsheng-LICENSE.txt").exists()

"""Property tests of the whole review path on arbitrary Unicode (issue: fuzzing)."""

from hypothesis import HealthCheck, given, settings, strategies as st

from screening.findings import Severity

any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF)
tricky = st.sampled_from(list("最好第一次國家級ＮＯ．１根治美白全网最低价加微信\u200b\u200d\u0301\u0327\u202e\u202d\u0627\u05d0😀👍🏻%\n\r\t ①壹"))
texts = st.text(alphabet=st.one_of(any_char, tricky, tricky, tricky), max_size=400)
LEX_LINES = ["家人们全网最好", "國家級品質", "根治脱发", "第一次来", "最近很忙", "加微信私聊", "原价999今天99", "zui you xiao"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.sampled_from(["general", "cosmetics", "food", "health_food", "finance"]))
def test_review_never_crashes_and_offsets_hold(screener, text, category):
    r = screener.review(text, category)
    prev_end = 0
    for f in r.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
        assert f.start >= prev_end  # sorted, non-overlapping
        prev_end = f.end
        assert f.suggestions and f.law and f.message
    assert r.summary["total"] == len(r.findings)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LEX_LINES), min_size=1, max_size=6), st.text(alphabet=tricky, max_size=5))
def test_findings_survive_being_embedded(screener, lines, noise):
    """A line's findings are found again, at shifted offsets, when it is embedded in a longer script."""
    sep = "\n"
    text = sep.join(lines)
    whole = screener.review(text).findings
    pos = 0
    for ln in lines:
        alone = screener.review(ln).findings
        inside = [(f.start - pos, f.end - pos, f.rule_id) for f in whole if pos <= f.start < pos + len(ln)]
        assert inside == [(f.start, f.end, f.rule_id) for f in alone], ln
        pos += len(ln) + len(sep)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(LEX_LINES))
def test_rewrite_removes_violations(screener, line):
    r = screener.review(line)
    again = screener.review(r.rewritten)
    assert not any(f.severity is Severity.VIOLATION for f in again.findings), (r.rewritten, again.findings)


def test_100k_char_line_and_rtl(screener):
    text = ("\u202e最好\u202c" + "أهلا" * 10 + "全网最低价，第一次见") * 4000
    r = screener.review(text)
    assert len(text) > 100_000 and r.summary["total"] >= 4000

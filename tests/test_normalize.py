"""Property tests: normalization offsets always map back inside the original text."""

from hypothesis import given, settings, strategies as st

from screening.normalize import from_codes, normalize, tables, to_codes

# any code point, surrogates included (hypothesis excludes them from text() by default)
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF)
mixed = st.text(alphabet=st.one_of(any_char, st.sampled_from(list("最好第一次國家級ＮＯ．１*  \u200b😀\u0301\u202e%\n"))), max_size=300)


@settings(max_examples=300, deadline=None)
@given(mixed)
def test_offsets_map_inside_original(text):
    n = normalize(text)
    assert len(n.offsets) == len(n.text) == len(n.folded)
    assert len(n.light) == len(text)
    prev = -1
    t = tables()
    for i, off in enumerate(n.offsets):
        assert 0 <= off < len(text)
        assert off > prev  # strictly increasing: order preserved, nothing duplicated
        prev = off
        assert n.text[i] == chr(t.exact[ord(text[off])])
    if len(n.text):
        s, e = n.span(0, len(n.text))
        assert 0 <= s < e <= len(text)


@settings(max_examples=200, deadline=None)
@given(mixed)
def test_normalization_is_idempotent(text):
    once = normalize(text).text
    assert normalize(once).text == once


def test_codes_round_trip_with_lone_surrogates():
    s = "a\ud800b\udfff😀"
    assert from_codes(to_codes(s)) == s
    assert normalize(s).text == "ab"


def test_long_line():
    text = "最好" * 50_000 + "\u200b" * 10
    n = normalize(text)
    assert len(n.text) == 100_000


def test_known_foldings():
    cases = {
        "最*有*效": "最有效", "最 有 效": "最有效", "第①": "第一", "ＮＯ．１": "no一",
        "國家級": "国家级", "最\u200b好😀": "最好", "100%": "一〇〇%", "ZUI you": "zuiyou",
    }
    for raw, want in cases.items():
        assert normalize(raw).text == want, raw


def test_span_maps_back_to_original():
    text = "这款是最*有*效的"
    n = normalize(text)
    i = n.text.index("最有效")
    s, e = n.span(i, i + 3)
    assert text[s:e] == "最*有*效"

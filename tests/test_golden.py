"""Golden cases (tests/golden/*.yaml): violations, lawful look-alikes, evasions, category switches."""

from pathlib import Path

import pytest

from screening.evaluate import load_golden, load_jsonl, score

HERE = Path(__file__).resolve().parent
CASES = load_golden(HERE / "golden")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case(screener, case):
    fs = screener.review(case.text, case.category).findings
    got = [(f.text, f.category, f.severity.value) for f in fs]
    if case.lawful:
        assert got == [], f"lawful line flagged: {got}"
        return
    for t in case.terms:
        assert t["term"] in case.text, f"bad case: {t['term']!r} not in text"
        i = case.text.index(t["term"])
        j = i + len(t["term"])
        hits = [f for f in fs if f.start < j and i < f.end]
        assert hits, f"{t['term']!r} not flagged; got {got}"
        if t.get("area"):
            assert any(f.category == t["area"] for f in hits), f"{t['term']!r}: area {t['area']} expected, got {got}"
        if t.get("severity"):
            assert any(f.severity.value == t["severity"] for f in hits), f"{t['term']!r}: {t['severity']} expected, got {got}"


def test_golden_set_is_substantial():
    assert len(CASES) >= 150
    assert sum(c.lawful for c in CASES) >= 30


def test_dev_set_quality(screener):
    """The shared development set of real penalised copy and look-alikes (floors, not targets)."""
    sc = score("dev", load_jsonl(HERE / "data" / "script_cases_dev.jsonl"), screener)
    assert sc.recalled / sc.terms >= 0.75, sc.misses
    assert sc.lawful_no_violation == sc.lawful, sc.misses


def test_beats_naive_substring_baseline(screener):
    """Same terms, same cases: the screener must recall more and pass more lawful lines."""
    from screening.evaluate import NaiveBaseline

    cases = CASES + load_jsonl(HERE / "data" / "script_cases_dev.jsonl")
    ours, naive = score("ours", cases, screener), score("naive", cases, NaiveBaseline(screener))
    assert ours.recalled > naive.recalled and ours.lawful_clean > naive.lawful_clean

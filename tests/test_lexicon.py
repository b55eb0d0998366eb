"""Lexicons are validated on load; a broken file names the file and the entry."""

import shutil
from pathlib import Path

import pytest

from screening.lexicon import CATEGORIES, LexiconError, load_lexicon
from screening.screener import Screener

LEX = Path(__file__).resolve().parent.parent / "lexicons"


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "lex"
    shutil.copytree(LEX, d)
    return d


def test_bundled_lexicons_load_with_enough_entries():
    lex = load_lexicon()
    assert len(lex.rules) >= 500
    areas = {r.area for r in lex.rules}
    for must in ("absolute", "medical", "cosmetics", "health_food", "investment", "education", "diversion", "abuse"):
        assert must in areas, must
    for r in lex.rules:
        assert 1 <= len(r.entry.suggestions) <= 3
        assert r.law


def test_every_category_selects_areas():
    lex = load_lexicon()
    for c in CATEGORIES:
        assert "absolute" in lex.areas_for(c)
    with pytest.raises(LexiconError, match="未知品类"):
        lex.areas_for("cars")


def test_bad_severity_names_file_and_entry(tmp_path):
    d = _copy(tmp_path)
    p = d / "absolute.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("severity: violation", "severity: fatal", 1), encoding="utf-8")
    with pytest.raises(LexiconError) as e:
        load_lexicon(d)
    assert "absolute.yaml" in str(e.value) and "id=" in str(e.value)


def test_missing_suggestions_and_yaml_syntax(tmp_path):
    d = _copy(tmp_path)
    (d / "zz_broken.yaml").write_text("version: '1'\narea: broken\ntitle: x\nlaw: y\nentries:\n  - id: a\n    terms: [x]\n"
                                      "    severity: warning\n    message: 测试条目\n    suggestions: []\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"zz_broken\.yaml.*id=a.*suggestions"):
        load_lexicon(d)
    (d / "zz_broken.yaml").write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(LexiconError, match="zz_broken.yaml.*YAML"):
        load_lexicon(d)


def test_bad_regex_and_duplicate_area(tmp_path):
    d = _copy(tmp_path)
    (d / "zz_regex.yaml").write_text("version: '1'\narea: zz\ntitle: x\nlaw: y\nentries:\n  - id: a\n    patterns:\n"
                                     "      - {triggers: [原价], regex: '(('}\n    severity: warning\n    message: 测试条目\n"
                                     "    suggestions: [x]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="zz_regex.yaml.*正则"):
        load_lexicon(d)
    (d / "zz_regex.yaml").write_text((d / "absolute.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(LexiconError, match="已在"):
        load_lexicon(d)


def test_custom_lexicon_dir_is_used(tmp_path):
    d = tmp_path / "mini"
    d.mkdir()
    shutil.copy(LEX / "_context.yaml", d)
    (d / "custom.yaml").write_text("version: '9'\narea: custom\ntitle: 自定义\nlaw: 企业内部规范\nentries:\n  - id: gold\n"
                                   "    terms: [金牌话术]\n    severity: warning\n    message: 内部禁用\n    suggestions: [常用话术]\n",
                                   encoding="utf-8")
    s = Screener.load(d)
    f = s.review("这是金牌话术，全网最好").findings
    assert [x.rule_id for x in f] == ["custom.gold"]

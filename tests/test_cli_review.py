"""``screening review`` as a user runs it: real files, real process, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "家人们，这款面霜是全网最好的，國家級品質！\n第一次来的宝宝点关注，最近天气干。\n"


def run(*args, input=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, input=input, timeout=120)


@pytest.fixture
def script(tmp_path):
    p = tmp_path / "script.txt"
    p.write_text(SCRIPT, encoding="utf-8")
    return p


def test_json_is_exactly_the_design_object(script):
    r = run("review", str(script), "--format", "json", "--category", "cosmetics")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"findings", "rewritten", "summary"}
    texts = [f["text"] for f in out["findings"]]
    assert "全网最好" in texts
    for f in out["findings"]:
        assert set(f) == {"rule_id", "category", "severity", "start", "end", "text", "law", "message", "suggestions"}
        assert SCRIPT[f["start"] : f["end"]] == f["text"]
    assert "第一次" in out["rewritten"] and "全网最好" not in out["rewritten"]


def test_text_and_html_outputs(script, tmp_path):
    r = run("review", str(script))
    assert r.returncode == 0 and "全网最好" in r.stdout and "依据" in r.stdout
    html = tmp_path / "r.html"
    r = run("review", str(script), "--format", "html", "-o", str(html))
    assert r.returncode == 0, r.stderr
    page = html.read_text(encoding="utf-8")
    assert "<mark" in page and "class='violation'" in page and "广告法" in page


def test_gbk_file_and_fail_on(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes(SCRIPT.encode("gbk"))
    r = run("review", str(p), "--format", "json", "--fail-on", "violation")
    assert r.returncode == 1
    assert json.loads(r.stdout)["summary"]["total"] >= 1


def test_directory_file_by_file(tmp_path):
    d = tmp_path / "scripts"
    d.mkdir()
    (d / "a.txt").write_text("全网最好", encoding="utf-8")
    (d / "b.md").write_text("# 开场\n第一次来的朋友你好", encoding="utf-8")
    (d / "c.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\n根治脱发\n", encoding="utf-8")
    (d / "bad.txt").write_bytes(b"")
    r = run("review", str(d), "--format", "json")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert {x["file"] for x in lines} == {"a.txt", "b.md", "c.srt"}
    assert r.returncode == 2 and "bad.txt" in r.stderr  # the empty file is reported, not a traceback
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("content,msg", [(b"", "空文件"), (b"\x00\xff\x00\x01" * 100, "二进制"), (None, "不存在")])
def test_bad_input_exits_nonzero_without_traceback(tmp_path, content, msg):
    p = tmp_path / "x.txt"
    if content is not None:
        p.write_bytes(content)
    r = run("review", str(p))
    assert r.returncode == 2
    assert msg in r.stderr and "Traceback" not in r.stderr


def test_unknown_category_is_an_argparse_error(script):
    r = run("review", str(script), "--category", "cars")
    assert r.returncode == 2 and "invalid choice" in r.stderr

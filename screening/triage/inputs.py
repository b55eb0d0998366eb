"""Reading comment files: CSV with a ``text`` column (optional ``id``, ``product``) or JSONL.

Errors are :class:`InputError` with a Chinese message and an exit code; the CLI prints
them, the API turns them into 4xx.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

EXIT_INPUT = 2
EXIT_TOO_LARGE = 3
MAX_BYTES = int(os.environ.get("SCREENING_TRIAGE_MAX_BYTES", 200 * 1024 * 1024))
MAX_ROWS = int(os.environ.get("SCREENING_TRIAGE_MAX_ROWS", 1_000_000))
MAX_TEXT_CHARS = int(os.environ.get("SCREENING_TRIAGE_MAX_TEXT_CHARS", 5000))


class InputError(ValueError):
    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GBK/GB18030; refuses binary data."""
    try:
        text, enc = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, enc = data.decode("gb18030"), "gbk"
        except UnicodeDecodeError:
            raise InputError("文件编码无法识别：既不是 UTF-8 也不是 GBK，请另存为 UTF-8 后重试") from None
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\r\n\t")
    if "\x00" in text or controls > max(3, len(text[:20000]) // 100):
        raise InputError("文件看起来不是文本（含二进制内容），请提供 UTF-8 编码的 CSV 或 JSONL")
    if enc == "gbk":
        # GBK decoding of UTF-8-ish garbage gives rare characters; accept only mostly-CJK/ASCII results
        odd = sum(1 for ch in text[:20000] if 0xE000 <= ord(ch) <= 0xF8FF)
        if odd > 2:
            raise InputError("文件编码无法识别：既不是 UTF-8 也不是 GBK，请另存为 UTF-8 后重试")
    return text, enc


def _clean_id(v) -> str | None:
    if v is None:
        return None
    v = str(v).strip()
    return v or None


def _check_text(text, where: str) -> str:
    if not isinstance(text, str):
        raise InputError(f"{where}: text 必须是字符串")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{where}: 评论过长（{len(text)} 字，上限 {MAX_TEXT_CHARS} 字）", EXIT_TOO_LARGE)
    return text.strip()


def parse_csv(text: str) -> tuple[list[dict], int]:
    header = text.split("\n", 1)[0]
    dialect = csv.excel_tab if "\t" in header and "," not in header else csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = [(f or "").strip().lstrip("\ufeff") for f in (reader.fieldnames or [])]
    lower = {f.lower(): i for i, f in enumerate(fields)}
    if "text" not in lower:
        shown = "、".join(f or "（空）" for f in fields[:10]) or "（无）"
        raise InputError(f"CSV 缺少 text 列（找到的列: {shown}）。需要表头含 text，可选 id、product")
    raw = reader.fieldnames or []
    tcol, icol = raw[lower["text"]], raw[lower["id"]] if "id" in lower else None
    pcol = raw[lower["product"]] if "product" in lower else None
    rows, skipped = [], 0
    for n, r in enumerate(reader, 2):
        if len(rows) >= MAX_ROWS:
            raise InputError(f"文件行数过多（超过 {MAX_ROWS} 行），请拆分后再处理", EXIT_TOO_LARGE)
        t = _check_text(r.get(tcol) or "", f"第 {n} 行")
        if not t:
            skipped += 1
            continue
        rows.append({"id": _clean_id(r.get(icol)) if icol else None, "text": t,
                     "product": (r.get(pcol) or "").strip() or None if pcol else None, "line": n})
    return rows, skipped


def parse_jsonl(text: str) -> tuple[list[dict], int]:
    rows, skipped = [], 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(f"文件行数过多（超过 {MAX_ROWS} 行），请拆分后再处理", EXIT_TOO_LARGE)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"第 {n} 行不是有效的 JSON: {exc.msg}") from None
        if not isinstance(obj, dict) or "text" not in obj:
            raise InputError(f"第 {n} 行缺少 text 字段（每行应为 {{\"id\": ..., \"text\": ...}}）")
        t = _check_text(obj["text"], f"第 {n} 行")
        if not t:
            skipped += 1
            continue
        rows.append({"id": _clean_id(obj.get("id")), "text": t, "product": obj.get("product") or None, "line": n})
    return rows, skipped


def read_comments(path: str | Path, data: bytes | None = None) -> tuple[list[dict], dict]:
    """Rows (id, text, product, line) and info (encoding, format, skipped)."""
    if data is None:
        p = Path(path)
        if not p.exists():
            raise InputError(f"文件不存在: {path}")
        if p.is_dir():
            raise InputError(f"{path} 是目录，请给出 CSV 或 JSONL 文件")
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_BYTES / 1048576:.0f} MB），请拆分后再处理",
                             EXIT_TOO_LARGE)
        data = p.read_bytes()
    elif len(data) > MAX_BYTES:
        raise InputError(f"输入过大（上限 {MAX_BYTES / 1048576:.0f} MB）", EXIT_TOO_LARGE)
    if not data.strip():
        raise InputError("文件为空，没有可处理的评论")
    text, enc = decode(data)
    suffix = Path(str(path)).suffix.lower()
    is_jsonl = suffix in (".jsonl", ".ndjson") or (suffix not in (".csv", ".tsv") and text.lstrip().startswith("{"))
    rows, skipped = parse_jsonl(text) if is_jsonl else parse_csv(text)
    if not rows:
        raise InputError("文件中没有非空的评论" + (f"（{skipped} 行 text 为空）" if skipped else "（只有表头）"))
    generated = 0
    for i, r in enumerate(rows, 1):
        if r["id"] is None:
            r["id"] = str(i)
            generated += 1
    return rows, {"encoding": enc, "format": "jsonl" if is_jsonl else "csv", "skipped": skipped,
                  "generated_ids": generated}

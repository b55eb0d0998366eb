"""Reading host scripts: txt, md, srt and docx; UTF-8, UTF-16 or GBK/GB18030.

Every failure is a :class:`DocumentError` with a Chinese message for the user.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024
SUFFIXES = (".txt", ".md", ".markdown", ".srt", ".docx", ".text")
_SRT_TIME = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")


class DocumentError(ValueError):
    """Input that cannot be reviewed; the message says why, in Chinese."""


def decode_text(data: bytes, name: str = "输入") -> str:
    """Decode bytes of a text file, detecting UTF-8/UTF-16/GBK; refuse binary data."""
    if not data.strip():
        raise DocumentError(f"{name} 是空的")
    if data.startswith(b"\xef\xbb\xbf"):
        return _clean(data[3:].decode("utf-8", errors="strict"), name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _clean(data.decode("utf-16"), name)
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{name} 的 UTF-16 编码有误: {exc.reason}") from exc
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{name} 看起来是二进制文件，不是文本（支持 txt/md/srt/docx）")
    try:
        return _clean(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    try:  # GB18030 is a superset of GBK and GB2312
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _mostly_text(text):
        return _clean(text, name)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or not _mostly_text(str(best)):
        raise DocumentError(f"{name} 的编码无法识别（请保存为 UTF-8 或 GBK）")
    return _clean(str(best), name)


def _mostly_text(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\r\n\t\f") or 0xE000 <= ord(ch) < 0xF900)
    return bad / min(len(text), 20000) < 0.01


def _clean(text: str, name: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _mostly_text(text):
        raise DocumentError(f"{name} 含大量控制字符，看起来不是文本文件")
    if not text.strip():
        raise DocumentError(f"{name} 是空的")
    return text


def srt_to_text(text: str) -> str:
    """Keep the subtitle lines; drop cue numbers and time codes."""
    lines = []
    for block in re.split(r"\n\s*\n", text.strip()):
        rows = block.split("\n")
        if rows and rows[0].strip().isdigit():
            rows = rows[1:]
        if rows and _SRT_TIME.match(rows[0]):
            rows = rows[1:]
        lines.extend(r for r in rows if r.strip())
    return "\n".join(lines)


def docx_to_text(data: bytes, name: str = "docx") -> str:
    try:
        import docx

        doc = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{name} 不是有效的 Word (.docx) 文件") from exc
    except Exception as exc:  # python-docx raises several private error types
        raise DocumentError(f"{name} 无法作为 Word 文件打开: {type(exc).__name__}") from exc
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    text = "\n".join(parts)
    if not text.strip():
        raise DocumentError(f"{name} 中没有文字")
    return text


def read_bytes(data: bytes, filename: str, max_bytes: int = MAX_BYTES) -> str:
    """Turn an uploaded or read file into the text to review."""
    name = filename or "输入"
    if len(data) > max_bytes:
        raise DocumentError(f"{name} 太大（{len(data) / 1048576:.1f} MB），上限 {max_bytes / 1048576:.0f} MB")
    if not data:
        raise DocumentError(f"{name} 是空文件（0 字节）")
    suffix = Path(filename).suffix.lower()
    if suffix == ".docx" or data[:2] == b"PK":
        if suffix not in ("", ".docx"):
            raise DocumentError(f"{name} 是压缩/Office 文件，只支持 .docx 格式的 Word 文档")
        return docx_to_text(data, name)
    if suffix and suffix not in SUFFIXES:
        raise DocumentError(f"不支持的文件类型 {suffix}（支持 txt、md、srt、docx）")
    text = decode_text(data, name)
    if suffix == ".srt" or (not suffix and _SRT_TIME.search(text[:500] or "")):
        text = srt_to_text(text)
        if not text.strip():
            raise DocumentError(f"{name} 字幕中没有文字")
    return text


def read_path(path: Path | str, max_bytes: int = MAX_BYTES) -> str:
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"文件不存在: {path}")
    if not path.is_file():
        raise DocumentError(f"不是文件: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{path.name} 太大（{size / 1048576:.1f} MB），上限 {max_bytes / 1048576:.0f} MB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"无法读取 {path}: {exc.strerror}") from exc
    return read_bytes(data, path.name, max_bytes)

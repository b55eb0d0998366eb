"""Reading scripts: encodings, formats and clear errors on bad input."""

import io

import pytest

from screening.documents import DocumentError, read_bytes, read_path

TEXT = "家人们，这款面霜全网最低价！\n第一次来的朋友点点关注。"


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(enc):
    assert read_bytes(TEXT.encode(enc), "s.txt") == TEXT


def test_gbk_traditional_and_crlf():
    raw = "國家級品質\r\n最好的".encode("big5", errors="ignore") if False else "國家級品質\r\n最好的".encode("gb18030")
    assert read_bytes(raw, "s.md") == "國家級品質\n最好的"


def test_srt_keeps_only_subtitle_text():
    srt = "1\n00:00:01,000 --> 00:00:03,000\n家人们好\n\n2\n00:00:03,500 --> 00:00:05,000\n这款最好用\n"
    assert read_bytes(srt.encode(), "a.srt") == "家人们好\n这款最好用"


def test_docx_paragraphs_and_tables():
    import docx

    d = docx.Document()
    d.add_paragraph("开场：欢迎来到直播间")
    d.add_paragraph("这款精华最有效")
    t = d.add_table(rows=1, cols=2)
    t.rows[0].cells[0].text = "卖点"
    t.rows[0].cells[1].text = "国家级品质"
    buf = io.BytesIO()
    d.save(buf)
    text = read_bytes(buf.getvalue(), "script.docx")
    assert "这款精华最有效" in text and "国家级品质" in text


@pytest.mark.parametrize(
    "data,name,msg",
    [
        (b"", "a.txt", "空"),
        (b"   \n\n", "a.txt", "空"),
        (b"\x00\x01\x02binary\x00" * 50, "a.txt", "二进制"),
        (bytes(range(128, 256)) * 40, "a.txt", "编码|控制字符"),
        (b"PK\x03\x04garbage", "a.docx", "Word"),
        (b"hello", "a.pdf", "不支持"),
        (b"x" * 2000, "a.txt", None),
    ],
)
def test_bad_input_messages(data, name, msg):
    if msg is None:
        assert read_bytes(data, name, max_bytes=10_000) == "x" * 2000
        with pytest.raises(DocumentError, match="太大"):
            read_bytes(data, name, max_bytes=1000)
        return
    with pytest.raises(DocumentError, match=msg):
        read_bytes(data, name)


def test_missing_and_directory(tmp_path):
    with pytest.raises(DocumentError, match="不存在"):
        read_path(tmp_path / "nope.txt")
    with pytest.raises(DocumentError, match="不是文件"):
        read_path(tmp_path)

"""``screening listen``: jsonl schema, stdin PCM, resampled input, clear errors for bad sources."""

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
AUDIO = ROOT / "tests" / "data" / "audio"
FINDING_KEYS = {"type", "audio_start", "audio_end", "emitted_at", "rule_id", "category", "severity", "start", "end",
                "text", "law", "message", "suggestions", "cue"}


def listen(*args, stdin: bytes | None = None, timeout: int = 240):
    return subprocess.run([sys.executable, "-m", "screening.cli", "listen", *map(str, args)], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=timeout)


def events(out: bytes) -> list[dict]:
    return [json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()]


def test_jsonl_events_schema():
    r = listen(AUDIO / "utt_02.wav", "--format", "jsonl", "--category", "cosmetics")
    assert r.returncode == 0, r.stderr.decode()
    evs = events(r.stdout)
    transcripts = [e for e in evs if e["type"] == "transcript"]
    findings = [e for e in evs if e["type"] == "finding"]
    assert transcripts and findings
    for e in transcripts:
        assert set(e) == {"type", "start", "end", "text", "final"}
        assert isinstance(e["start"], float) and e["start"] <= e["end"] and e["final"] is True
    for e in findings:
        assert FINDING_KEYS <= set(e), FINDING_KEYS - set(e)
        assert e["severity"] in ("violation", "needs_evidence", "needs_qualification", "warning")
        assert isinstance(e["suggestions"], list) and e["cue"].startswith("提醒主播")
        assert 0 <= e["audio_start"] < e["audio_end"] <= 4.6 and e["emitted_at"] >= 0
    rules = {e["rule_id"] for e in findings}
    assert "absolute.guo_jia_ji" in rules or "absolute.di_yi" in rules, rules


def test_stdin_raw_pcm_and_text_format():
    with wave.open(str(AUDIO / "utt_03.wav")) as w:
        pcm = w.readframes(w.getnframes())
    r = listen("-", "--format", "text", "--category", "food", stdin=pcm)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode("utf-8")
    assert "⚠" in out and "提醒主播" in out, out
    assert "[00:0" in out  # a transcript line with its time


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def test_other_sample_rate_and_stereo_are_resampled(tmp_path):
    with wave.open(str(AUDIO / "utt_02.wav")) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
    t_in = np.arange(len(x)) / 16000
    t_out = np.arange(int(len(x) * 44100 / 16000)) / 44100
    y = np.interp(t_out, t_in, x)
    stereo = np.stack([y, y], axis=1).ravel()
    p = tmp_path / "utt_02_44k_stereo.wav"
    _write_wav(p, stereo, 44100, channels=2)
    r = listen(p, "--format", "jsonl")
    assert r.returncode == 0, r.stderr.decode()
    evs = events(r.stdout)
    text = "".join(e["text"] for e in evs if e["type"] == "transcript")
    assert "品牌" in text or "国家" in text, text
    assert any(e["type"] == "finding" for e in evs)


@pytest.mark.parametrize("content, expect", [
    (b"", "为空"),
    (b"\x00garbage\xffnot audio at all" * 200, "无法解码"),
])
def test_bad_files_fail_clearly(tmp_path, content, expect):
    p = tmp_path / "bad.wav"
    p.write_bytes(content)
    r = listen(p, "--format", "jsonl", timeout=60)
    err = r.stderr.decode("utf-8")
    assert r.returncode == 2, err
    assert "错误：" in err and expect in err and "Traceback" not in err
    assert r.stdout == b""


def test_missing_file_and_dead_url_fail_clearly(tmp_path):
    r = listen(tmp_path / "nope.mp3", timeout=60)
    assert r.returncode == 2 and "文件不存在" in r.stderr.decode()
    r = listen("rtmp://127.0.0.1:1/live/x", timeout=60)
    err = r.stderr.decode()
    assert r.returncode == 2 and "无法打开直播流" in err and "Traceback" not in err
    r = listen("ftp://example.invalid/a.wav", timeout=60)
    assert r.returncode == 2 and "不支持的地址协议" in r.stderr.decode()


def test_video_container_with_aac_audio(tmp_path):
    av = pytest.importorskip("av")
    with wave.open(str(AUDIO / "utt_04.wav")) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    p = tmp_path / "clip.mp4"
    with av.open(str(p), "w") as out:
        st = out.add_stream("aac", rate=16000)
        st.layout = "mono"
        for i in range(0, len(pcm), 1024):
            chunk = pcm[i:i + 1024]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = 16000
            for pkt in st.encode(frame):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    r = listen(p, "--format", "jsonl", "--category", "apparel")
    assert r.returncode == 0, r.stderr.decode()
    evs = events(r.stdout)
    assert any(e["type"] == "finding" and e["rule_id"].startswith("price.") for e in evs), evs

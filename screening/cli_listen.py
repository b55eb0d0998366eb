"""``screening listen SOURCE`` — live transcription with alerts for the 场控."""

from __future__ import annotations

import json
import sys

from screening.lexicon import CATEGORIES, LexiconError


def register(sub) -> None:
    p = sub.add_parser(
        "listen", help="直播音频实时转写与违规提醒 (文件/直播流地址/- 标准输入)",
        description="实时转写主播音频，听到违规用语时立即输出提醒（场控口播提示与改写建议）。"
                    "SOURCE: 音频或视频文件、直播流地址 (rtmp/rtsp/srt/http(s)/HLS)、"
                    "或 - 表示从标准输入读取 16 kHz 单声道 s16le PCM。")
    p.add_argument("source", metavar="SOURCE", help="文件路径、直播流 URL，或 - (stdin PCM)")
    p.add_argument("--realtime", action="store_true", help="按 1 倍速播放文件，模拟直播（用于测延迟）")
    p.add_argument("--format", "-f", default="text", choices=("jsonl", "text"), help="输出格式 (默认 text)")
    p.add_argument("--category", "-c", default="general", choices=CATEGORIES, help="商品品类 (默认 general)")
    p.add_argument("--no-hotwords", action="store_true", help="关闭热词（默认按转写中读音相近的词库术语动态提示 Whisper）")
    p.add_argument("--partials", action="store_true", help="同时输出未定稿的转写 (final=false)")
    p.add_argument("--lexicons", help="词库目录（默认使用内置词库）")
    p.add_argument("--save", action="store_true", help="把转写和提醒写入数据库（合规留档）")
    p.set_defaults(func=run)


def _clock(t: float) -> str:
    m, s = divmod(max(0.0, t), 60)
    return f"{int(m):02d}:{s:04.1f}"


class _Printer:
    def __init__(self, fmt: str, session, recorder=None):
        self.fmt = fmt
        self.session = session
        self.recorder = recorder
        self.out = sys.stdout

    def __call__(self, events: list[dict]) -> None:
        segs = self.session.take_segments()
        if self.recorder is not None:
            for seg in segs:
                self.recorder.add_segment(seg)
            for ev in events:
                if ev["type"] == "finding":
                    self.recorder.add_finding(ev)
        if self.fmt == "jsonl":
            for ev in events:
                self.out.write(json.dumps(ev, ensure_ascii=False) + "\n")
            if events:
                self.out.flush()
            return
        lines = []
        for ev in events:
            if ev["type"] == "finding":
                lines.append(f"⚠ [{_clock(ev['audio_start'])}–{_clock(ev['audio_end'])}] "
                             f"{ev['severity']} 「{ev['text']}」 {ev['cue']}  (+{ev['emitted_at']:.1f}s)")
        for seg in segs:
            lines.append(f"[{_clock(seg['start'])}–{_clock(seg['end'])}] {seg['text']}")
        if lines:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()


def run(args) -> int:
    from screening.asr.live import AsrEngine, LiveOptions, LiveSession
    from screening.asr.model import ModelError
    from screening.asr.runner import run_frames
    from screening.asr.sources import SourceError, open_source
    from screening.cli import CliError
    from screening.screener import Screener

    try:
        source = open_source(args.source)
    except SourceError as exc:
        raise CliError(str(exc), 2) from exc
    try:
        screener = Screener.load(args.lexicons)
    except LexiconError as exc:
        raise CliError(str(exc), 3) from exc
    try:
        engine = AsrEngine.load()
    except ModelError as exc:
        raise CliError(str(exc), 3) from exc
    screener.scan("预热", source="asr")  # first scan loads the word segmenter
    session = LiveSession(screener, engine, LiveOptions(category=args.category, hotwords=not args.no_hotwords,
                                                        partials=args.partials))
    recorder = None
    if args.save:
        from screening.asr.record import Recorder
        from screening.settings import Settings

        _, db = Settings().open_db()
        recorder = Recorder.create(db, kind=source.kind, source=source.name, category=args.category,
                                   lexicon_version=screener.lexicon.digest, created_by="cli")
        recorder.started()
        print(f"会话记录 ID：{recorder.id}", file=sys.stderr)
    printer = _Printer(args.format, session, recorder)
    threaded = args.realtime or source.kind in ("url", "stdin")
    status, error = "finished", None
    try:
        status = run_frames(session, source.frames(), printer, threaded=threaded, realtime=args.realtime)
    except SourceError as exc:
        status, error = "error", str(exc)
        raise CliError(str(exc), 2) from exc
    except KeyboardInterrupt:
        status = "stopped"
        raise
    finally:
        if recorder is not None:
            for seg in session.take_segments():
                recorder.add_segment(seg)
            recorder.finish(status, audio_seconds=session.received_seconds, error=error)
    return 0

"""``screening review PATH`` — pre-broadcast script review."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from screening.documents import SUFFIXES, DocumentError, read_path
from screening.findings import Severity
from screening.lexicon import CATEGORIES, LexiconError


def register(sub) -> None:
    p = sub.add_parser("review", help="审核直播脚本 (txt/md/srt/docx，文件或目录)",
                       description="审核直播脚本：标出每处风险用语、法律依据、级别和合规改写。")
    p.add_argument("path", help="脚本文件或目录")
    p.add_argument("--category", "-c", default="general", choices=CATEGORIES, help="商品品类 (默认 general)")
    p.add_argument("--format", "-f", default="text", choices=("text", "json", "html"), help="输出格式")
    p.add_argument("-o", "--output", help="输出文件（目录审核时为输出目录）")
    p.add_argument("--lexicons", help="词库目录（默认使用内置词库）")
    p.add_argument("--fail-on", choices=[s.value for s in Severity],
                   help="有该级别或更严重的问题时以退出码 1 结束（便于流水线使用）")
    p.set_defaults(func=run)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def run(args) -> int:
    from screening.cli import CliError
    from screening.report import to_html, to_json, to_text
    from screening.screener import Screener

    root = Path(args.path)
    if not root.exists():
        raise CliError(f"路径不存在: {root}")
    try:
        screener = Screener.load(args.lexicons)
    except LexiconError as exc:
        raise CliError(str(exc), 3) from exc

    threshold = Severity(args.fail_on).rank if args.fail_on else None
    worst = -1

    def review_one(path: Path):
        nonlocal worst
        text = read_path(path)
        review = screener.review(text, args.category)
        for f in review.findings:
            worst = max(worst, f.severity.rank)
        return text, review

    if root.is_file():
        try:
            text, review = review_one(root)
        except DocumentError as exc:
            raise CliError(str(exc), 2) from exc
        _emit(args, text, review, root.name, Path(args.output) if args.output else None)
        return 1 if threshold is not None and worst >= threshold else 0

    files = _files(root)
    if not files:
        raise CliError(f"目录 {root} 中没有可审核的脚本（{', '.join(SUFFIXES)}）")
    out_dir = Path(args.output) if args.output else None
    if args.format == "html" and out_dir is None:
        raise CliError("目录审核输出 HTML 时请用 -o 指定输出目录")
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("审核中", total=len(files))
        for path in files:
            rel = path.relative_to(root)
            try:
                text, review = review_one(path)
            except DocumentError as exc:
                failed += 1
                bar.console.print(f"[red]跳过 {rel}：{exc}[/red]")
            else:
                if out_dir:
                    ext = {"json": ".json", "html": ".html", "text": ".txt"}[args.format]
                    target = out_dir / (str(rel).replace("/", "__") + ext)
                    _emit(args, text, review, str(rel), target)
                elif args.format == "json":
                    sys.stdout.write(json.dumps({"file": str(rel), **review.to_dict()}, ensure_ascii=False) + "\n")
                else:
                    to_text(text, review, str(rel))
            bar.advance(task)
    if failed:
        print(f"{failed} 个文件无法审核", file=sys.stderr)
        return 2
    return 1 if threshold is not None and worst >= threshold else 0


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _emit(args, text: str, review, name: str, target: Path | None) -> None:
    from screening.report import to_html, to_json, to_text

    if args.format == "json":
        out = to_json(review.to_dict()) + "\n"
    elif args.format == "html":
        out = to_html(text, review, name)
    else:
        if target is None:
            to_text(text, review, name)
            return
        from io import StringIO

        from rich.console import Console

        buf = StringIO()
        to_text(text, review, name, console=Console(file=buf, no_color=True, width=120))
        out = buf.getvalue()
    if target is None:
        sys.stdout.write(out)
    else:
        target.write_text(out, encoding="utf-8")

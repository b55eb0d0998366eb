"""``screening triage PATH --format jsonl|table`` — classify viewer comments.

PATH: CSV with a ``text`` column (optional ``id``, ``product``), JSONL with ``text``, or
``-`` for stdin.  jsonl output: one object per comment
``{"id", "text", "intent", "negative", "toxic", "action", "reply", "findings"}``.
Exit codes: 0 ok, 2 bad input (empty, encoding, columns), 3 too large, 4 model missing.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache

from screening.lexicon import CATEGORIES

BATCH = 512
PROGRESS_MIN_ROWS = 2000


@lru_cache(maxsize=2)
def _load(model: str | None, lexicons: str | None):
    """One load per process and configuration (in-process callers such as tests call run() many times)."""
    from screening.triage.pipeline import Triage

    return Triage.load(model, lexicon_dir=lexicons)


def register(sub) -> None:
    p = sub.add_parser("triage", help="评论分诊：意图、负面度、处理建议与回复模板",
                       description="对直播间评论分诊：识别意图（质量/物流/售后/价格/咨询/辱骂/引流/好评/其他）、"
                                   "负面概率、是否辱骂，给出处理动作（回复/转售后/同步运营/隐藏/无需处理）和回复话术。")
    p.add_argument("path", help="CSV（含 text 列，可选 id、product 列）或 JSONL（每行含 text）；- 表示标准输入")
    p.add_argument("--format", "-f", default="jsonl", choices=("jsonl", "table"), help="输出格式（默认 jsonl）")
    p.add_argument("--product", help="商品名（填入回复模板；文件中的 product 列优先）")
    p.add_argument("--category", "-c", default="general", choices=CATEGORIES, help="商品品类（默认 general）")
    p.add_argument("--model", help="分诊模型目录（默认 models/triage/default）")
    p.add_argument("--lexicons", help="词库目录（默认使用内置词库）")
    p.add_argument("--no-progress", action="store_true", help="不显示进度条")
    p.set_defaults(func=run)


def run(args) -> int:
    from screening.cli import CliError
    from screening.lexicon import LexiconError
    from screening.triage.inputs import InputError, read_comments
    from screening.triage.pipeline import TemplateError
    from screening.triage.progress import Progress
    from screening.triage.transformer import ModelError

    try:
        if args.path == "-":
            rows, info = read_comments("-", sys.stdin.buffer.read())
        else:
            rows, info = read_comments(args.path)
    except InputError as exc:
        raise CliError(str(exc), exc.code) from exc
    if info["encoding"] != "utf-8":
        print("提示：文件不是 UTF-8，已按 GBK 解码", file=sys.stderr)
    if info["skipped"]:
        print(f"提示：跳过 {info['skipped']} 条空评论", file=sys.stderr)
    try:
        tri = _load(args.model, args.lexicons)
    except ModelError as exc:
        raise CliError(str(exc), 4) from exc
    except (LexiconError, TemplateError) as exc:
        raise CliError(str(exc), 3) from exc

    show = not args.no_progress and len(rows) >= PROGRESS_MIN_ROWS
    bar = Progress(len(rows), "评论分诊", enabled=show)
    out = sys.stdout
    table_rows = []
    for b in range(0, len(rows), BATCH):
        chunk = rows[b:b + BATCH]
        results = tri.triage(chunk, category=args.category, product=args.product)
        if args.format == "jsonl":
            out.write("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in results))
        else:
            table_rows.extend(results)
        bar.update(len(chunk))
    bar.close()
    if args.format == "table":
        _table(table_rows)
    out.flush()
    return 0


def _table(results) -> None:
    from rich.console import Console
    from rich.table import Table

    from screening.triage.labels import ACTION_LABELS_ZH, INTENT_LABELS_ZH

    t = Table(show_lines=False, header_style="bold")
    for col in ("id", "意图", "负面", "辱骂", "处理", "评论", "回复/依据"):
        t.add_column(col, overflow="fold")
    for r in results:
        note = r.reply or "；".join(r.reasons) or ""
        t.add_row(r.id, INTENT_LABELS_ZH[r.intent], f"{r.negative:.2f}", "是" if r.toxic else "", ACTION_LABELS_ZH[r.action],
                  r.text[:60], note[:80])
    Console(file=sys.stdout, width=160, soft_wrap=False).print(t)

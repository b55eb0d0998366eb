"""``screening train`` — train a comment-triage model reproducibly (seeded, with progress on stderr)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub) -> None:
    from screening.triage.train import BACKENDS

    p = sub.add_parser("train", help="训练评论分诊模型（可复现，固定随机种子）",
                       description="训练评论分诊模型。默认训练 tfidf-rules（字符 n-gram + 逻辑回归 + 引流/辱骂规则），"
                                   "约一分钟；tinybert 先做 MLM 预训练再微调（CPU 上较慢）；"
                                   "transformer 用 --init 指定任意本地 BERT 类模型目录；m3e 仅限非商业研究。")
    p.add_argument("--backend", "-b", default="tfidf-rules", choices=BACKENDS, help="模型后端（默认 tfidf-rules）")
    p.add_argument("--out", help="输出目录（默认：tfidf-rules 为 models/triage/tfidf-rules，其余为 models/cache/triage/<backend>）")
    p.add_argument("--seed", type=int, default=42, help="随机种子（默认 42）")
    p.add_argument("--cold", help="COLD 数据集目录（默认 ../shared/data/cold 或 $SCREENING_COLD_DIR）")
    p.add_argument("--init", help="transformer 后端：任意本地 BERT 类模型目录")
    p.add_argument("--epochs", type=int, help="微调轮数（transformer 类后端）")
    p.add_argument("--accept-noncommercial", action="store_true",
                   help="m3e 后端：确认仅用于非商业研究（M3E 模型卡限制）")
    p.add_argument("--set-default", action="store_true", help="训练后设为默认模型（models/triage/default）")
    p.add_argument("--if-missing", action="store_true", help="输出目录已有有效模型时跳过（用于 make setup）")
    p.add_argument("--quiet", "-q", action="store_true", help="不显示进度")
    p.set_defaults(func=run)


def run(args) -> int:
    from screening.cli import CliError
    from screening.triage.dataset import DataError
    from screening.triage.model import MODELS_DIR, load_model
    from screening.triage.train import default_out, set_default, train
    from screening.triage.transformer import ModelError

    out = Path(args.out) if args.out else default_out(args.backend)
    if args.if_missing:
        try:
            load_model(out)
            print(f"模型已存在且校验通过：{out}", file=sys.stderr)
            return 0
        except ModelError:
            pass
    try:
        manifest = train(args.backend, out=out, seed=args.seed, cold=args.cold, init=Path(args.init) if args.init else None,
                         epochs=args.epochs, accept_noncommercial=args.accept_noncommercial, quiet=args.quiet)
    except (DataError, ModelError) as exc:
        raise CliError(str(exc), 2) from exc
    if args.set_default:
        set_default(out.name if out.parent == MODELS_DIR else str(out.resolve()),
                    f"screening train --backend {args.backend}")
    test = (manifest.get("metrics") or {}).get("test") or {}
    summary = {"model": str(out), "backend": args.backend, "files": manifest.get("files"),
               "test": {"intent": {k: test.get("intent", {}).get(k) for k in ("accuracy", "macro_f1")},
                        "negative": test.get("negative"), "toxic": test.get("toxic")}}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0

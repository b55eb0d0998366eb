"""``screening serve`` — the API and the web console."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("serve", help="启动 API 服务与网页控制台", description="启动 API 服务与网页控制台（默认 127.0.0.1:8000）")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    import uvicorn

    from screening.cli import CliError
    from screening.lexicon import LexiconError

    from api.app import create_app

    try:
        app = create_app()
        print(f"服务已启动：http://{args.host}:{args.port}/  (Ctrl+C 停止)", flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    except LexiconError as exc:
        raise CliError(f"词库无效，服务未启动：{exc}", 3) from exc
    except OSError as exc:
        raise CliError(f"无法监听 {args.host}:{args.port}：{exc.strerror}", 4) from exc
    return 0

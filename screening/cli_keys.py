"""``screening keys create|list|revoke|bootstrap`` — API keys (hashed at rest)."""

from __future__ import annotations

from screening.auth import ROLE_LABELS_ZH, ROLES


def register(sub) -> None:
    p = sub.add_parser("keys", help="管理 API 访问密钥", description="创建、列出、吊销 API 访问密钥（只保存哈希）")
    ks = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    c = ks.add_parser("create", help="创建密钥（明文只显示这一次）")
    c.add_argument("--role", required=True, choices=ROLES)
    c.add_argument("--name", default="")
    c.set_defaults(func=create)
    ls = ks.add_parser("list", help="列出密钥")
    ls.set_defaults(func=list_)
    r = ks.add_parser("revoke", help="吊销密钥")
    r.add_argument("id", type=int)
    r.set_defaults(func=revoke)
    b = ks.add_parser("bootstrap", help="若还没有管理员密钥，创建一个并显示一次")
    b.set_defaults(func=bootstrap)


def _db():
    from screening.settings import Settings

    return Settings().open_db()[1]


def create(args) -> int:
    from screening.auth import create_key

    row, key = create_key(_db(), args.role, args.name)
    print(f"已创建密钥 #{row.id}（角色：{ROLE_LABELS_ZH[row.role]}）。请妥善保存，此密钥不会再次显示：")
    print(key)
    return 0


def list_(args) -> int:
    from screening.auth import list_keys

    for k in list_keys(_db()):
        state = f"已吊销 {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "有效"
        print(f"#{k.id}\t{k.role}\t{k.name}\t{k.prefix}…\t{k.created_at:%Y-%m-%d %H:%M}\t{state}")
    return 0


def revoke(args) -> int:
    from screening.auth import revoke_key
    from screening.errors import CliError

    if not revoke_key(_db(), args.id):
        raise CliError(f"密钥 #{args.id} 不存在或已吊销", 1)
    print(f"已吊销密钥 #{args.id}")
    return 0


def bootstrap(args) -> int:
    from screening.auth import create_key, has_admin

    db = _db()
    if has_admin(db):
        print("已有管理员密钥（如遗失，可用 screening keys create --role admin 另建）")
        return 0
    row, key = create_key(db, "admin", "first-admin")
    print("首个管理员密钥（只显示这一次，请立即保存；用它登录控制台 http://127.0.0.1:8000 ）：")
    print(key)
    return 0

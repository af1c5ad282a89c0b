"""Open, list or close the break-glass superuser (应急账号, docs/security.md).

    manage.py break_glass open --reason "安全管理员账号被锁定，需解除"
    manage.py break_glass list
    manage.py break_glass close breakglass-20261207011500-ab12

Opening raises a critical alert to the security and audit administrators, as does every login
of the account; each step is a ledger event.
"""

import getpass

from django.core.management.base import BaseCommand, CommandError

from quancheng.orgs.breakglass import (
    BreakGlassError,
    close_break_glass,
    open_accounts,
    open_break_glass,
)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        return "unknown"


class Command(BaseCommand):
    help = "启用、列出或停用应急账号（唯一的超级用户，仅限命令行，启用即产生严重告警）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        opening = sub.add_parser("open", help="启用一个应急账号")
        opening.add_argument("--reason", required=True, help="启用原因（记入账本）")
        sub.add_parser("list", help="列出在用的应急账号")
        closing = sub.add_parser("close", help="停用应急账号")
        closing.add_argument("username")

    def handle(self, *args, action, **options):
        try:
            if action == "open":
                user, password = open_break_glass(options["reason"], operator=_operator())
                self.stdout.write(f"已启用应急账号 {user.username}，一次性密码：{password}")
                self.stdout.write("已向安全管理员和审计管理员发出严重告警；用毕请立即停用。")
            elif action == "close":
                user = close_break_glass(options["username"], operator=_operator())
                self.stdout.write(f"已停用应急账号 {user.username}")
            else:
                for user in open_accounts():
                    self.stdout.write(f"{user.username}\t{user.date_joined:%Y-%m-%d %H:%M}")
        except BreakGlassError as e:
            raise CommandError(str(e)) from e

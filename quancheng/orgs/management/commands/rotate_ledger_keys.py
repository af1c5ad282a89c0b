"""Rotate the ledger's checkpoint signing keys (Ed25519 and SM2); the security administrator's."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from quancheng.orgs.keyrotation import rotate_ledger_keys

from .issue_api_token import actor_named


class Command(BaseCommand):
    help = (
        "轮换账本检查点签名密钥（Ed25519 与 SM2）：平台生成新密钥并加密保存，旧验证公钥继续公布；"
        "只有安全管理员可以执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--by", required=True, help="操作人（安全管理员）的用户名")

    def handle(self, *args, by, **options):
        actor = actor_named(by)
        try:
            result = rotate_ledger_keys(actor)
        except PermissionDenied as e:
            raise CommandError(str(e) or f"{by} 无权轮换账本签名密钥") from e
        self.stderr.write(
            f"已轮换账本签名密钥；过渡检查点（新旧密钥共同签名）：{result['checkpoint']}"
        )
        for algorithm, vkey in result["new"].items():
            self.stdout.write(f"{algorithm} {vkey}")

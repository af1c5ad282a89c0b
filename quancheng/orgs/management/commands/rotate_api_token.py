"""Rotate a bearer token: the old one stops working, a new secret is printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quancheng.orgs import capabilities as caps
from quancheng.orgs.services import rotate_api_token

from .issue_api_token import actor_named
from .revoke_api_token import token_named


class Command(BaseCommand):
    help = "轮换接口令牌：旧令牌立即失效，新密钥只在标准输出显示这一次。"

    def add_arguments(self, parser):
        parser.add_argument("token", metavar="PREFIX_OR_ID", help="令牌编号或前缀（如 qc_AbCdEfG）")
        parser.add_argument("--by", required=True, help="操作人（管理员）的用户名")

    def handle(self, *args, token, by, **options):
        actor = actor_named(by)
        found = token_named(token)
        if not caps.can(actor, caps.TOKENS_MANAGE, found.user.agency):
            raise CommandError(f"{by} 无权轮换该令牌")
        try:
            new, secret = rotate_api_token(actor, found)
        except ValidationError as e:
            raise CommandError(e.messages[0]) from e
        until = timezone.localtime(new.expires_at)
        self.stderr.write(
            f"已轮换令牌 #{found.pk}（{found.prefix}…），旧令牌已失效；新令牌 #{new.pk}"
            f"（{new.prefix}…）有效期至 {until:%Y-%m-%d %H:%M}。密钥只显示这一次，请妥善交付："
        )
        self.stdout.write(secret)

"""Revoke a bearer token, named by its id or by the prefix shown in lists."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import ApiToken
from quancheng.orgs.services import revoke_api_token

from .issue_api_token import actor_named


def token_named(token: str) -> ApiToken:
    """The one token with this id or prefix, or a CommandError."""
    tokens = ApiToken.objects.select_related("user__agency", "device")
    if token.isdigit() and len(token) < 19:  # an id fits 64 bits
        matches = list(tokens.filter(pk=int(token)))
    else:
        matches = list(tokens.filter(prefix=token.strip()))
    if not matches:
        raise CommandError(f"没有找到令牌 {token}")
    if len(matches) > 1:
        ids = "、".join(str(t.pk) for t in matches)
        raise CommandError(f"前缀 {token} 对应多个令牌（编号 {ids}），请按编号指定")
    return matches[0]


class Command(BaseCommand):
    help = "吊销接口令牌（按编号或前缀）。"

    def add_arguments(self, parser):
        parser.add_argument("token", metavar="PREFIX_OR_ID", help="令牌编号或前缀（如 qc_AbCdEfG）")
        parser.add_argument("--by", required=True, help="操作人（管理员）的用户名")

    def handle(self, *args, token, by, **options):
        actor = actor_named(by)
        found = token_named(token)
        if not caps.can(actor, caps.TOKENS_MANAGE, found.user.agency):
            raise CommandError(f"{by} 无权吊销该令牌")
        if found.revoked_at is not None:
            when = timezone.localtime(found.revoked_at)
            self.stdout.write(f"令牌 #{found.pk}（{found.prefix}…）已于 {when:%Y-%m-%d %H:%M} 吊销")
            return
        revoke_api_token(actor, found)
        self.stdout.write(
            f"已吊销令牌 #{found.pk}（{found.prefix}…，{found.name}，用户 {found.user.username}）"
        )

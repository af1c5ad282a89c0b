"""Issue a bearer token for a terminal or workstation; the secret is printed once, on stdout."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Device, User
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.orgs.services import issue_api_token

# Devices that call the API; cameras hand their files to a workstation.
API_DEVICE_KINDS = {Device.Kind.TERMINAL, Device.Kind.WORKSTATION}


def actor_named(username: str) -> User:
    actor = User.objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"操作人 {username} 不存在或已停用")
    return actor


class Command(BaseCommand):
    help = "为执法终端或采集工作站签发接口令牌；密钥只在标准输出显示这一次。"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="令牌所属用户的用户名")
        parser.add_argument("--name", required=True, help="令牌名称，如“张伟的执法终端”")
        parser.add_argument("--device", help="设备编号（执法终端或采集工作站）")
        parser.add_argument("--by", required=True, help="签发人（管理员）的用户名")

    def handle(self, *args, user: User, name, device, by, **options):
        actor = actor_named(by)
        holder = User.objects.select_related("agency").filter(username=user).first()
        if holder is None:
            raise CommandError(f"用户 {user} 不存在")
        if not holder.is_active:
            raise CommandError(f"用户 {user} 已停用")
        if not caps.can(actor, caps.TOKENS_MANAGE, holder.agency):
            raise CommandError(f"{by} 无权为 {user} 签发令牌")
        name = name.strip()
        if not name:
            raise CommandError("令牌名称不能为空")
        terminal = None
        if device:
            terminal = Device.objects.filter(serial_number=device).first()
            if (
                terminal is None
                or not agencies_visible_to(holder).filter(pk=terminal.agency_id).exists()
            ):
                raise CommandError(f"设备 {device} 不存在或不属于 {user} 的辖区")
            if terminal.kind not in API_DEVICE_KINDS:
                raise CommandError(
                    f"设备 {device} 是{terminal.get_kind_display()}，"
                    "只有执法终端和采集工作站使用接口"
                )
        token, secret = issue_api_token(actor, holder, name, terminal)
        self.stderr.write(
            f"已签发令牌 #{token.pk}（{token.prefix}…）给 {holder.username}"
            + (f"，设备 {terminal.serial_number}" if terminal else "")
            + f"，有效期至 {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}"
            + "。密钥只显示这一次，请妥善交付："
        )
        self.stdout.write(secret)

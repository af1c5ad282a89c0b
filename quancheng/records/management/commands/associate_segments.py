"""Run automatic association again for the segments waiting in the queue (待关联)."""

from django.core.management.base import BaseCommand, CommandError

from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import User
from quancheng.records.association import associate_waiting


class Command(BaseCommand):
    help = (
        "对待关联队列中的音像记录重新自动关联（例如执法行为补登记之后）；"
        "人工关联或人工解除关联过的记录保持不变。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", required=True, help="执行人的用户名")

    def handle(self, *args, username, **options):
        actor = User.objects.select_related("agency").filter(username=username).first()
        if actor is None or not actor.is_active:
            raise CommandError(f"操作人 {username} 不存在或已停用")
        if actor.agency is None or not caps.can(actor, caps.RECORDS_UPLOAD):
            raise CommandError(f"{username} 无权关联执法记录")
        result = associate_waiting(actor)
        for segment, act in result.linked:
            self.stderr.write(f"音像记录 #{segment.pk} {segment} → 执法行为 #{act.pk} {act}")
        linked, waiting = len(result.linked), len(result.waiting)
        self.stdout.write(f"已自动关联：{linked} 个；仍待关联：{waiting} 个")

"""Ingest a folder of body-camera files as copied from a docking workstation (采集站导入)."""

from django.core.management.base import BaseCommand, CommandError

from quancheng.lib.units import human_size
from quancheng.orgs.models import User
from quancheng.records.ingest import IngestError, ingest_folder


class Command(BaseCommand):
    help = (
        "导入采集工作站文件夹中的执法记录仪文件：逐个存储、解析、归属设备与执法人员、"
        "自动关联执法行为；重复运行不会重复导入。进度写到标准错误，汇总写到标准输出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="采集站导出的文件夹")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="执行导入的记录管理专人或执法人员的用户名（文件归其所属机构）",
        )

    def handle(self, *args, folder, username, **options):
        actor = User.objects.select_related("agency").filter(username=username).first()
        if actor is None or not actor.is_active:
            raise CommandError(f"操作人 {username} 不存在或已停用")
        try:
            report = ingest_folder(actor, folder, progress=self.stderr.write)
        except IngestError as exc:
            raise CommandError(str(exc)) from exc
        counts = report.counts()
        out = self.stdout.write
        out(f"导入完成：{report.folder}")
        out(f"  新导入：{counts['ingested']} 个（其中无法解析 {counts['unreadable']} 个）")
        out(f"  已存在：{counts['present']} 个（未重复导入）")
        out(f"  已自动关联：{counts['linked']} 个")
        out(f"  待关联（在记录管理专人的待关联队列中）：{counts['waiting']} 个")
        out(f"  跳过：{counts['skipped']} 个")
        for path, reason in report.skipped:
            out(f"    {path}：{reason}")
        for f in report.of("unreadable"):
            out(f"  无法解析：{f.path}（{human_size(f.size)}）：{f.segment.parse_error}")
        for f in report.ingested:
            for note in f.notes:
                out(f"  注意：{f.path}：{note}")
        if not report.ingested and report.of("present"):
            out("本次没有新文件：文件夹中的文件均已导入。")

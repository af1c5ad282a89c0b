"""manage.py rebuild_rollups: recompute the statistics rollups from the record."""

from django.core.management.base import BaseCommand, CommandError

from quancheng.supervision.rollups import compare_rollups, rebuild_rollups


class Command(BaseCommand):
    help = "重新计算统计汇总（统计页面与首页指标所读的数据）；--check 只比较不写入"

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the stored rollups with a fresh computation; exit 1 on a difference",
        )

    def handle(self, *args, check=False, **options):
        if check:
            differences = compare_rollups()
            for line in differences[:50]:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"统计汇总与记录不一致：{len(differences)} 处")
            self.stdout.write("统计汇总与记录一致")
            return
        rebuild_rollups()
        self.stdout.write(self.style.SUCCESS("统计汇总已重新计算"))

"""manage.py make_demo_city --districts N --acts M [--seed S] [--media]"""

from django.core.management.base import BaseCommand, CommandError

from quancheng.supervision.democity import DEMO_PASSWORD, CityExists, CityPlan, build_city


class Command(BaseCommand):
    help = "Generate a demo city: districts, people, devices, subjects, acts with their records."

    def add_arguments(self, parser):
        parser.add_argument("--districts", type=int, default=3, help="number of districts")
        parser.add_argument("--acts", type=int, default=300, help="number of acts in all")
        parser.add_argument("--seed", type=int, default=1, help="the same seed, the same city")
        parser.add_argument("--months", type=int, default=6, help="acts over the last months")
        parser.add_argument(
            "--media",
            action="store_true",
            help="real clips of each segment's duration (slower; for playing at any moment)",
        )
        parser.add_argument("--no-evaluate", action="store_true", help="skip the rules")

    def handle(self, *args, **options):
        plan = CityPlan(
            districts=options["districts"],
            acts=options["acts"],
            seed=options["seed"],
            months=options["months"],
            media=options["media"],
            evaluate=not options["no_evaluate"],
        )
        try:
            summary = build_city(plan, progress=self.stdout.write)
        except (CityExists, ValueError) as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            self.style.SUCCESS(
                f"演示城市已生成：执法行为 {summary.acts}，音像记录 {summary.segments}，"
                f"文书 {summary.documents}，账本事件 {summary.events}，告警 {summary.alerts}"
            )
        )
        self.stdout.write(f"登录（密码 {DEMO_PASSWORD}）：")
        for username, label in summary.logins[:12]:
            self.stdout.write(f"  {username}  {label}")

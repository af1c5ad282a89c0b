"""manage.py make_demo_city --districts N --acts M [--events E] [--seed S] [--media]
manage.py make_demo_city --scale 0.1   (a tenth of a full Chongqing; 1 = the full city)"""

import time

from django.core.management.base import BaseCommand, CommandError

from quancheng.demo.city import (
    DEMO_PASSWORD,
    CityExists,
    CityPlan,
    build_city,
    city_plan,
)


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
        parser.add_argument(
            "--events",
            type=int,
            default=0,
            help="top the ledger up to this many events with an access log (segment.viewed)",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=None,
            help="a fraction of a full city (38 districts, 1,000,000 acts, 100,000,000 events); "
            "overrides --districts, --acts and --events",
        )
        parser.add_argument("--no-evaluate", action="store_true", help="skip the rules")

    def handle(self, *args, **options):
        common = {
            "seed": options["seed"],
            "months": options["months"],
            "media": options["media"],
            "evaluate": not options["no_evaluate"],
        }
        started = time.perf_counter()

        def say(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:8.1f} s] {message}")
            self.stdout.flush()

        try:
            if options["scale"] is not None:
                # At scale the segments' blob rows have no content (docs/demo-city.md).
                plan = city_plan(options["scale"], store_blobs=False, **common)
            else:
                plan = CityPlan(
                    districts=options["districts"],
                    acts=options["acts"],
                    events=options["events"],
                    **common,
                )
            say(f"区县 {plan.districts}，执法行为 {plan.acts:,}，账本事件 {plan.events:,}")
            summary = build_city(plan, progress=say)
        except (CityExists, ValueError) as e:
            raise CommandError(str(e)) from e
        say("完成")
        self.stdout.write(
            self.style.SUCCESS(
                f"演示城市已生成：执法行为 {summary.acts}，音像记录 {summary.segments}，"
                f"文书 {summary.documents}，账本事件 {summary.events}，告警 {summary.alerts}"
            )
        )
        self.stdout.write(f"登录（密码 {DEMO_PASSWORD}）：")
        for username, label in summary.logins[:12]:
            self.stdout.write(f"  {username}  {label}")

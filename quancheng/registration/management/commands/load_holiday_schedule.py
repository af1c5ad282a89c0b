"""Load a year's official holiday schedule from a JSON file (see docs/registration.md)."""

import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from quancheng.lib.workdays import ScheduleError
from quancheng.orgs.management.commands.issue_api_token import actor_named
from quancheng.registration.schedules import load_schedule


class Command(BaseCommand):
    help = "载入某一年国务院办公厅公布的节假日安排（JSON 文件），覆盖 chinese-calendar 的该年数据。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON 文件：year、source、holidays、workdays")
        parser.add_argument("--by", required=True, help="载入人（市级管理员）的用户名")

    def handle(self, *args, file, by, **options):
        actor = actor_named(by)
        try:
            with open(file, encoding="utf-8") as f:
                data = json.load(f)
        except OSError as e:
            raise CommandError(f"无法读取文件 {file}：{e.strerror}") from e
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CommandError(f"{file} 不是有效的 JSON（UTF-8）：{e}") from e
        try:
            schedule, outcome = load_schedule(actor, data)
        except (ScheduleError, PermissionDenied) as e:
            raise CommandError(str(e)) from e
        verb = {"created": "已载入", "replaced": "已更新", "unchanged": "内容未变化"}[outcome]
        self.stdout.write(
            f"{verb} {schedule.year} 年节假日安排：节假日 {len(schedule.holidays)} 天，"
            f"调休上班日 {len(schedule.workdays)} 天（依据：{schedule.source}）"
        )

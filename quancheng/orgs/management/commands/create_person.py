"""Create a real person (an account with agency and role), without any demo data.

The first people of a new installation are made here: the three administrators (三员分立,
docs/security.md: ``system_admin``, ``security_admin``, ``audit_admin``, without an agency, with
``--staff``) and at least one 市级管理员 (city_admin); the system administrator then makes the
others' accounts in the administration pages and the security administrator gives them roles.
The password comes from QC_PASSWORD or a prompt, never from the command line (which other users
of the machine can read in ps).
"""

import datetime as dt
import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quancheng.orgs.models import ADMIN_ROLES, Agency, Role, User
from quancheng.orgs.services import create_user


class Command(BaseCommand):
    help = "创建人员账号（单位、角色、执法证）；密码取自 QC_PASSWORD 或交互输入。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="姓名")
        parser.add_argument("--agency", help="单位代码，如 d03-zf（市级管理员可不填）")
        roles = [r for r in Role.values if r != Role.BREAK_GLASS]  # break_glass: its own command
        parser.add_argument("--role", required=True, choices=roles, help="角色")
        parser.add_argument("--certificate-number", default="", help="执法证号")
        parser.add_argument("--certificate-valid-from", type=dt.date.fromisoformat)
        parser.add_argument("--certificate-valid-until", type=dt.date.fromisoformat)
        parser.add_argument("--staff", action="store_true", help="也可进入系统管理页面（is_staff）")

    def handle(self, *args, username, name, agency, role, staff, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户 {username} 已存在")
        target = None
        if agency:
            target = Agency.objects.filter(code=agency).first()
            if target is None:
                raise CommandError(f"单位 {agency} 不存在（先运行 load_organisation）")
        elif role not in (Role.CITY_ADMIN, *ADMIN_ROLES):
            raise CommandError("除市级管理员和三员外，人员必须属于一个单位（--agency）")
        password = os.environ.get("QC_PASSWORD")
        if password is None:
            password = getpass.getpass(f"{username} 的密码：")
        try:
            user = create_user(
                None,
                password,
                username=username,
                full_name=name,
                agency=target,
                role=role,
                is_staff=staff,
                certificate_number=options["certificate_number"],
                certificate_valid_from=options["certificate_valid_from"],
                certificate_valid_until=options["certificate_valid_until"],
            )
        except ValidationError as e:
            raise CommandError("；".join(e.messages)) from e
        self.stdout.write(f"已创建 {user.username}（{user.full_name}，{user.get_role_display()}）")

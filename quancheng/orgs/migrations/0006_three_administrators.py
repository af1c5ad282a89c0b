"""三员分立: the three administrators' roles, the break-glass role and the constraints that keep
one role per account and the superuser flag on the break-glass account only.

Existing superusers were the all-powerful administrator: each becomes a 系统管理员 (staff, no
superuser flag), the safest of the three to inherit (organisation, accounts, devices,
configuration; no roles, no keys, no audit). The security and audit administrators are then
made by hand (``create_person --role security_admin``/``audit_admin``), or a break-glass account
(``manage.py break_glass``) when no administrator is left.
"""

from django.db import migrations, models

import quancheng.orgs.models


def superusers_become_system_administrators(apps, schema_editor):
    User = apps.get_model("orgs", "User")
    User.objects.filter(is_superuser=True).update(
        is_superuser=False, is_staff=True, role="system_admin"
    )


def system_administrators_become_superusers(apps, schema_editor):
    User = apps.get_model("orgs", "User")
    User.objects.filter(role__in=["system_admin", "break_glass"]).update(
        is_superuser=True, role="city_admin"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("orgs", "0005_signing_pin"),
    ]

    operations = [
        migrations.RunPython(
            superusers_become_system_administrators, system_administrators_become_superusers
        ),
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", quancheng.orgs.models.PersonManager()),
            ],
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("officer", "执法人员"),
                    ("custodian", "记录管理专人"),
                    ("head", "机构负责人"),
                    ("auditor", "法制稽查"),
                    ("district_commission", "区县卫生健康行政部门"),
                    ("city_admin", "市级管理员"),
                    ("system_admin", "系统管理员"),
                    ("security_admin", "安全管理员"),
                    ("audit_admin", "审计管理员"),
                    ("break_glass", "应急账号"),
                ],
                default="officer",
                max_length=24,
                verbose_name="角色",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "role__in",
                        [
                            "officer",
                            "custodian",
                            "head",
                            "auditor",
                            "district_commission",
                            "city_admin",
                            "system_admin",
                            "security_admin",
                            "audit_admin",
                            "break_glass",
                        ],
                    )
                ),
                name="user_role_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("is_superuser", False),
                        (
                            "role__in",
                            [
                                "officer",
                                "custodian",
                                "head",
                                "auditor",
                                "district_commission",
                                "city_admin",
                                "system_admin",
                                "security_admin",
                                "audit_admin",
                            ],
                        ),
                    ),
                    models.Q(("is_superuser", True), ("role", "break_glass")),
                    _connector="OR",
                ),
                name="user_superuser_is_break_glass",
            ),
        ),
    ]

"""The production configuration of docs/deployment.md passes Django's deployment checks."""

import os
import secrets
import subprocess
import sys

from django.conf import settings


def _production_environment(var_dir) -> dict[str, str]:
    # Only the documented production variables: nothing QC_* leaks in from the test run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env.update(
        DJANGO_SETTINGS_MODULE="quancheng.settings",
        QC_DEBUG="False",
        QC_HTTPS="True",
        QC_SECRET_KEY=secrets.token_urlsafe(50),
        QC_ALLOWED_HOSTS="example.gov.cn",
        QC_CSRF_TRUSTED_ORIGINS="https://example.gov.cn",
        # Never connected to: check --deploy runs no database checks without --database.
        QC_DATABASE_URL="postgres://quancheng@db.example.gov.cn:5432/quancheng",
        QC_VAR_DIR=str(var_dir),
    )
    return env


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_reports_no_issues_with_the_production_variables(tmp_path):
    result = _check_deploy(_production_environment(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_flags_production_without_https(tmp_path):
    """The check is not vacuous: QC_HTTPS=False leaves cookies insecure and HSTS off."""
    result = _check_deploy(_production_environment(tmp_path) | {"QC_HTTPS": "False"})

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # SECURE_HSTS_SECONDS
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE

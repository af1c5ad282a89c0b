from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class CharacterClassValidator:
    """Strong passwords: letters, digits and at least one other character, or all four classes."""

    def validate(self, password, user: "User | None" = None):
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须至少包含小写字母、大写字母、数字、符号中的三类。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return "密码须至少包含小写字母、大写字母、数字、符号中的三类。"

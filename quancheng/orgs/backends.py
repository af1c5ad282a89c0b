"""Model permissions of the three administrators (三员分立) in the reference-data admin.

Django's admin asks ``user.has_perm("app.action_model")``. The three administrators hold their
permissions by role, from this table, not from groups an administrator could grant themselves:

* 系统管理员: organisation, accounts, devices and configuration (view, add, change); never
  the roles of people (the security administrator's) nor anything holding record content;
* 安全管理员: API tokens, trusted CAs and agency certificates (keys), and the roles of people;
* 审计管理员: views everything listed here and changes nothing.

Superuser status is only the break-glass account's (``manage.py break_glass``).
"""

from django.contrib.auth.backends import BaseBackend

from .models import ADMIN_ROLES, Role

SYSTEM_MODELS = (
    "orgs.agency",
    "orgs.user",
    "orgs.device",
    "orgs.deviceassignment",
    "registration.holidayschedule",
    "records.datakind",
    "compliance.ruleconfig",
    "documents.documenttype",
    "documents.numberingconfig",
    "witness.witnessedlog",
    "jobs.joblease",
)
SECURITY_MODELS = (
    "orgs.apitoken",
    "documents.trustedca",
    "documents.agencycertificate",
)
# The security administrator sees people (to assign roles, unlock and issue tokens), and changes
# only their role (orgs/admin.py makes every other field read-only for them).
SECURITY_CHANGES_ALSO = ("orgs.user",)


def _split(model: str) -> tuple[str, str]:
    app, name = model.split(".")
    return app, name


def permissions_of_role(role: str) -> set[str]:
    """The admin permissions (``app.action_model``) a role holds; empty for other roles."""
    perms: set[str] = set()

    def grant(models, actions):
        for model in models:
            app, name = _split(model)
            perms.update(f"{app}.{action}_{name}" for action in actions)

    if role == Role.SYSTEM_ADMIN:
        # Deletion too, where a model's admin allows it at all (each ModelAdmin still decides).
        grant(SYSTEM_MODELS, ("view", "add", "change", "delete"))
    elif role == Role.SECURITY_ADMIN:
        grant(SECURITY_MODELS, ("view", "add", "change"))
        grant(SECURITY_CHANGES_ALSO, ("view", "change"))
    elif role == Role.AUDIT_ADMIN:
        grant(SYSTEM_MODELS + SECURITY_MODELS, ("view",))
    return perms


class AdministratorBackend(BaseBackend):
    """Answers has_perm for the three administrators; never authenticates anyone."""

    def _perms(self, user_obj) -> set[str]:
        if not user_obj.is_active or getattr(user_obj, "role", None) not in ADMIN_ROLES:
            return set()
        return permissions_of_role(user_obj.role)

    def get_all_permissions(self, user_obj, obj=None):
        return self._perms(user_obj)

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self._perms(user_obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in self._perms(user_obj))

"""Data-migration steps shared by the apps whose configuration became versioned (issue 17).

Rows saved before versions could be proposed were in force from the moment they were saved:
each becomes active, effective from its ``created_at``, activated by whoever saved it. Written
with historical models and ``update`` (no model methods), so it runs at any later state of the
code.
"""

from django.db.models import F


def activate_existing(app_label: str, model_name: str):
    """A RunPython step marking the versions saved before activation existed as active."""

    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        model.objects.filter(activated_at__isnull=True).update(
            activated_at=F("created_at"),
            activated_by=F("created_by"),
            effective_from=F("created_at"),
        )

    return forward


def noop(apps, schema_editor):
    """Going back, the columns are dropped: nothing to undo."""

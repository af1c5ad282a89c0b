"""Hand-written data step (issue 17): the retention configuration's versions become active from
when they were saved, and the one-row RetentionPolicy becomes part of them."""

from django.db import migrations
from django.utils import timezone

from quancheng.versioning.migration_ops import activate_existing

# The shipped classes when this migration was written (archive/config.py DEFAULT_CLASSES).
DEFAULT_CLASSES = {"penalty_general": "30y", "penalty_summary": "10y", "inspection": "10y"}
DEFAULT_MIN_MONTHS = 6
MERGE_NOTE = "合并原保管期限规则：非证据音像记录最短保存期限（数据迁移）"


def merge_policy(apps, schema_editor):
    """The one-row RetentionPolicy becomes part of the retention configuration's versions.

    Versions saved at or after the policy's last change carry its minimum (it was in force
    then); versions before it carry none, which reads as the default 6 months. If the policy's
    change is the latest change of all, or the policy differs from the default with no version
    saved, a new version (the latest classes plus the minimum) keeps it in force.
    """
    Policy = apps.get_model("archive", "RetentionPolicy")
    Config = apps.get_model("archive", "RetentionConfig")
    activate_existing("archive", "RetentionConfig")(apps, schema_editor)
    policy = Policy.objects.order_by("pk").first()
    if policy is None:
        return
    months = policy.non_evidence_min_months
    if policy.changed_at is None and months == DEFAULT_MIN_MONTHS:
        return
    later = Config.objects.all()
    if policy.changed_at is not None:
        later = later.filter(created_at__gte=policy.changed_at)
    for row in later:
        Config.objects.filter(pk=row.pk).update(
            data={**row.data, "non_evidence_min_months": months}
        )
    if later.exists():
        return
    latest = Config.objects.order_by("-version").first()
    moment = policy.changed_at or timezone.now()
    if latest is not None and latest.effective_from > moment:
        moment = latest.effective_from
    classes = (latest.data.get("dossier_classes") if latest else None) or DEFAULT_CLASSES
    Config.objects.create(
        version=(latest.version if latest else 0) + 1,
        data={"dossier_classes": {**DEFAULT_CLASSES, **classes}, "non_evidence_min_months": months},
        note=MERGE_NOTE,
        created_by=policy.changed_by,
        created_at=moment,
        effective_from=moment,
        activated_by=policy.changed_by,
        activated_at=moment,
    )


def split_policy(apps, schema_editor):
    """Back: the policy row again, with the minimum of the latest version that has one; the
    version the merge added is removed."""
    Policy = apps.get_model("archive", "RetentionPolicy")
    Config = apps.get_model("archive", "RetentionConfig")
    for row in Config.objects.order_by("-version"):
        if "non_evidence_min_months" in row.data:
            Policy.objects.create(
                non_evidence_min_months=row.data["non_evidence_min_months"],
                changed_by=row.created_by,
                changed_at=row.created_at,
            )
            break
    Config.objects.filter(note=MERGE_NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("archive", "0009_versioned_config")]

    operations = [migrations.RunPython(merge_policy, split_policy)]

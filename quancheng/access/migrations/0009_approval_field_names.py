"""The access app's approvals take the field names of ``orgs.models.Approval`` (issue 17):
columns renamed in place, no data moved. The next migration aligns their definitions."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0008_extraction_approval_fields"),
    ]

    operations = [
        # Constraints and indexes naming the old fields go first (SQLite remakes the table
        # on a rename, from the new state); the next migration adds them back.
        migrations.RemoveConstraint(
            model_name='provision',
            name='provision_provided_after_approval',
        ),
        migrations.RemoveConstraint(
            model_name='provision',
            name='provision_not_approved_by_requester',
        ),
        migrations.RemoveConstraint(
            model_name='redactedcopy',
            name='redacted_copy_not_reviewed_by_requester',
        ),
        migrations.RemoveConstraint(
            model_name='redactedcopy',
            name='redacted_copy_approved_after_review',
        ),
        migrations.RemoveIndex(
            model_name='accessrequest',
            name='access_acce_request_0ad039_idx',
        ),
        migrations.RenameField("accessrequest", "requester", "requested_by"),
        migrations.RenameField("provision", "approved_by", "decided_by"),
        migrations.RenameField("provision", "approved_at", "decided_at"),
        migrations.RenameField("redactedcopy", "reviewed_by", "decided_by"),
        migrations.RenameField("redactedcopy", "reviewed_at", "decided_at"),
        migrations.RenameField("redactedcopy", "review_note", "decision_note"),
    ]

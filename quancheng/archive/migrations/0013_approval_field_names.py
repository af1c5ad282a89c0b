"""The archive app's approvals take the field names of ``orgs.models.Approval`` (issue 17):
columns renamed in place, no data moved. The next migration aligns their definitions."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0012_transfer_approval_fields"),
    ]

    operations = [
        # Constraints and indexes naming the old fields go first (SQLite remakes the table
        # on a rename, from the new state); the next migration adds them back.
        migrations.RemoveConstraint(
            model_name='disposalproposal',
            name='disposal_not_approved_by_proposer',
        ),
        migrations.RenameField("hold", "approved_by", "decided_by"),
        migrations.RenameField("hold", "approved_at", "decided_at"),
        migrations.RenameField("disposalproposal", "proposed_by", "requested_by"),
        migrations.RenameField("disposalproposal", "proposed_at", "requested_at"),
    ]

"""The A13 work record (``Explanation``) takes the field names of ``orgs.models.Approval``
(issue 17): columns renamed in place, no data moved. The next migration aligns their
definitions."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_activate_existing_versions"),
    ]

    operations = [
        migrations.RenameField("explanation", "created_by", "requested_by"),
        migrations.RenameField("explanation", "created_at", "requested_at"),
        migrations.RenameField("explanation", "reviewed_by", "decided_by"),
        migrations.RenameField("explanation", "reviewed_at", "decided_at"),
        migrations.RenameField("explanation", "review_note", "decision_note"),
    ]

"""Hand-written data step (issue 17): every RuleConfig saved before becomes an active version,
effective from when it was saved. Its own migration: on PostgreSQL a schema change after rows
changed in the same transaction is refused ("pending trigger events")."""

from django.db import migrations

from quancheng.versioning.migration_ops import activate_existing, noop


class Migration(migrations.Migration):
    dependencies = [('compliance', '0004_versioned_config')]

    operations = [migrations.RunPython(activate_existing('compliance', 'RuleConfig'), noop)]

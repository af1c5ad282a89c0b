"""RetentionPolicy is gone: its minimum is part of the retention configuration (0010)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("archive", "0010_merge_retention_policy")]

    operations = [migrations.DeleteModel(name="RetentionPolicy")]

"""Hand-written data step (issue 21 point 3): the rollups gained each month and agency's rows of
kind ALL_KINDS, which the pages without a kind read. A mark for every cell makes the first read
rebuild the rollups, so an installation that had them before gets those rows too."""

from django.db import migrations


def mark_everything(apps, schema_editor):
    apps.get_model("supervision", "RollupMark").objects.create()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0005_activate_existing_versions")]

    operations = [migrations.RunPython(mark_everything, migrations.RunPython.noop)]

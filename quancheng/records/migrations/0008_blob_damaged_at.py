from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0007_segment_time_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="blob",
            name="damaged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="校验不符时间"),
        ),
    ]

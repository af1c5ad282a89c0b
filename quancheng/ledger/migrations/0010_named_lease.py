# The named lease (the integrator's) moves from the jobs app down to the ledger, which is below
# jobs in the layers. State only: the table jobs/0002 created keeps its name and its rows.

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """The model's content type (and so its permissions) follows it to the ledger."""
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label='ledger', model='namedlease').exists():
        ContentType.objects.filter(app_label='jobs', model='namedlease').update(app_label='ledger')


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0002_named_lease'),
        ('ledger', '0009_signing_keys'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='NamedLease',
                    fields=[
                        ('name', models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name='名称')),
                        ('holder', models.CharField(blank=True, max_length=128, verbose_name='持有者')),
                        ('acquired_at', models.DateTimeField(blank=True, null=True, verbose_name='取得时间')),
                        ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='租约到期')),
                        ('generation', models.PositiveBigIntegerField(default=0, verbose_name='代数')),
                    ],
                    options={
                        'verbose_name': '单例租约',
                        'verbose_name_plural': '单例租约',
                        'db_table': 'jobs_namedlease',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
    ]

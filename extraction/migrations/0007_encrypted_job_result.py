# ExtractionJob.result is stored encrypted (SPEC S-3). Unlike the cache (0005),
# job results cannot be re-created, so every existing row is converted: the
# column becomes text (jsonb -> text with a cast on PostgreSQL, a table rebuild
# on SQLite; the JSON text is kept either way), then each value is sealed in
# batches with the first key of ENCRYPTION_KEYS. Going back opens every value
# (with any configured key) and the column becomes JSON again; a value no key
# opens stops it, and the transaction leaves everything as it was.

import extraction.fields
from django.db import migrations

BATCH_SIZE = 500


def seal_results(apps, schema_editor):
    jobs = apps.get_model("extraction", "ExtractionJob")._base_manager.all()
    extraction.fields.reseal_column(jobs, "result", batch_size=BATCH_SIZE)


def unseal_results(apps, schema_editor):
    jobs = apps.get_model("extraction", "ExtractionJob")._base_manager.all()
    extraction.fields.unseal_column(jobs, "result", batch_size=BATCH_SIZE)


class Migration(migrations.Migration):

    dependencies = [
        ("extraction", "0006_job_manage_token"),
    ]

    operations = [
        migrations.AlterField(
            model_name="extractionjob",
            name="result",
            field=extraction.fields.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.RunPython(seal_results, unseal_results),
    ]

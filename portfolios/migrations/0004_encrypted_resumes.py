# Portfolio.resume and PortfolioRequest.resume are stored encrypted (SPEC S-3).
# Portfolios cannot be re-created, so every existing row is converted: the
# column becomes text (jsonb -> text with a cast on PostgreSQL, a table rebuild
# on SQLite; the JSON text is kept either way), then each value is sealed in
# batches with the first key of ENCRYPTION_KEYS. Going back opens every value
# (with any configured key) and the column becomes JSON again; a value no key
# opens stops it, and the transaction leaves everything as it was.

import extraction.fields
from django.db import migrations

BATCH_SIZE = 500
MODELS = ("Portfolio", "PortfolioRequest")


def seal_resumes(apps, schema_editor):
    for name in MODELS:
        rows = apps.get_model("portfolios", name)._base_manager.all()
        extraction.fields.reseal_column(rows, "resume", batch_size=BATCH_SIZE)


def unseal_resumes(apps, schema_editor):
    for name in MODELS:
        rows = apps.get_model("portfolios", name)._base_manager.all()
        extraction.fields.unseal_column(rows, "resume", batch_size=BATCH_SIZE)


class Migration(migrations.Migration):

    dependencies = [
        ("portfolios", "0003_ownership_and_scoped_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="portfolio",
            name="resume",
            field=extraction.fields.EncryptedJSONField(),
        ),
        migrations.AlterField(
            model_name="portfoliorequest",
            name="resume",
            field=extraction.fields.EncryptedJSONField(),
        ),
        migrations.RunPython(seal_resumes, unseal_resumes),
    ]

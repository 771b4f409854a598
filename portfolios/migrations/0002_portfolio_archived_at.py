# The most recently archived portfolios and the count of cleaned-up ones,
# without scanning the whole table (monitoring.metrics, capacity).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolios", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="portfolio",
            index=models.Index(fields=["state", "archived_at"], name="portfolio_archived_at"),
        ),
    ]

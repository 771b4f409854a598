# The last recorded model rate-limit headers, found without scanning every job
# (monitoring.metrics and the model quota alert).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("extraction", "0003_confidence"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="extractionjob",
            index=models.Index(
                condition=models.Q(("ratelimit", {}), _negated=True),
                fields=["-finished_at"],
                name="job_ratelimit_seen",
            ),
        ),
    ]

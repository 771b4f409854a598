# References (issue 16 point 2) are third-party data: the referee never agreed
# to be published. Every existing portfolio keeps them off, as before; the
# person may tick "show my references" from now on.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolios", "0005_privacy_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolio",
            name="show_references",
            field=models.BooleanField(
                default=False, help_text="References (the referees' names and words)."
            ),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from 0021, whose updates PostgreSQL would have to finish before it alters the table."""

    dependencies = [
        ("core", "0024_attachment_sha256"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("message__isnull", True), models.Q(("sha256", ""), _negated=True)),
                fields=("dossier", "sha256"),
                name="unique_attachment_per_dossier",
            ),
        ),
    ]

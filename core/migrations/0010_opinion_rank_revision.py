# The opinion's rank had two names (priority, rank), and its save counter shared "version" with the published
# avis conjoint: renamed, keeping the values.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_audit_event"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="opinion", name="priority_only_when_retained"),
        migrations.RenameField(model_name="historicalopinion", old_name="priority", new_name="rank"),
        migrations.RenameField(model_name="opinion", old_name="priority", new_name="rank"),
        migrations.RenameField(model_name="historicalopinion", old_name="version", new_name="revision"),
        migrations.RenameField(model_name="opinion", old_name="version", new_name="revision"),
        migrations.AlterField(
            model_name="historicalopinion",
            name="revision",
            field=models.PositiveIntegerField(default=1, verbose_name="révision"),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="revision",
            field=models.PositiveIntegerField(default=1, verbose_name="révision"),
        ),
        migrations.AddConstraint(
            model_name="opinion",
            constraint=models.CheckConstraint(
                condition=models.Q(("rank", ""), ("retained", True), _connector="OR"), name="rank_only_when_retained"
            ),
        ),
    ]

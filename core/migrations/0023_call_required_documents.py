import core.models.calls
from django.db import migrations, models


class Migration(migrations.Migration):
    """The documents a call asks of its dossiers. The calls set up before ask none: their landlords were never told
    of any; a new call asks the usual three, which the secretariat edits."""

    dependencies = [
        ("core", "0022_receipt"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="required_documents",
            field=models.TextField(blank=True, default="", verbose_name="pièces demandées"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="call",
            name="required_documents",
            field=models.TextField(
                blank=True,
                default=core.models.calls.default_required_documents,
                help_text="Une par ligne : chaque dossier les joint avant d'être déposé.",
                verbose_name="pièces demandées",
            ),
        ),
    ]

"""Unguessable ids for the URLs of documents: the published avis conjoint, and the committee's and the call's files.

A column added with a callable default gets one value for every existing row, so the field is added
empty, each row gets its own uuid, and only then is the field made unique and required.
"""

import uuid

from django.db import migrations, models

MODELS = ("call", "committee", "jointopinion")


def fill(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("core", name)
        for pk in model.objects.filter(uuid__isnull=True).values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        *(migrations.AddField(name, "uuid", models.UUIDField(editable=False, null=True)) for name in MODELS),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            "call",
            "uuid",
            models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="identifiant des exports"),
        ),
        migrations.AlterField(
            "committee",
            "uuid",
            models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="identifiant des documents"),
        ),
        migrations.AlterField(
            "jointopinion",
            "uuid",
            models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="identifiant"),
        ),
    ]

from django.db import migrations, models


def other_documents(apps, schema_editor):
    """The dossiers' attachments joined before they had a type are "Autre document": none was said to be one the call
    asks. A message's attachment has none."""
    Attachment = apps.get_model("core", "Attachment")
    Attachment.objects.filter(message__isnull=True).update(document_type="Autre document")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0025_attachment_unique_per_dossier"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="document_type",
            field=models.CharField(blank=True, max_length=255, verbose_name="type de pièce"),
        ),
        migrations.RunPython(other_documents, migrations.RunPython.noop, elidable=True),
    ]

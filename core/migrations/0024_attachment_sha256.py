import hashlib

from django.conf import settings
from django.db import migrations, models


def digest_stored_files(apps, schema_editor):
    """Each stored file's SHA-256, read through the storage (a disk or S3). A file lost keeps an empty one, and so
    does a second copy of a file already joined to its dossier: it stays as it was joined."""
    Attachment = apps.get_model("core", "Attachment")
    seen = set()
    for attachment in Attachment.objects.order_by("dossier_id", "uploaded_at", "id").iterator():
        digest = hashlib.sha256()
        try:
            with attachment.file.open("rb") as stored:
                for chunk in stored.chunks():
                    digest.update(chunk)
        except OSError:
            continue
        key = (attachment.dossier_id, digest.hexdigest())
        if attachment.message_id is None and key in seen:
            continue
        if attachment.message_id is None:
            seen.add(key)
        Attachment.objects.filter(pk=attachment.pk).update(sha256=digest.hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0023_call_required_documents"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="sha256",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="empreinte SHA-256"),
        ),
        migrations.RunPython(digest_stored_files, migrations.RunPython.noop, elidable=True),
    ]

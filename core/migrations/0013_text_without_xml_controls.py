"""Removes, from the text stored before the entries cleaned it, the characters XML 1.0 cannot hold.

Every text column of the core models, their history included, but those holding codes (choices). A published
version's snapshot (JointOpinion.content, JSON) is left as it was hashed: its documents clean it as they render.
"""

from django.db import migrations, models

from core.text import xml_safe


def text_columns(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not field.choices
    ]


def clean_text(apps, schema_editor) -> None:
    # Read in Python, row by row: a database pattern could not name every character on both databases
    # (PostgreSQL's text holds no NUL, and a lone surrogate does not travel to either).
    for model in apps.get_app_config("core").get_models():
        columns = text_columns(model)
        if not columns:
            continue
        manager = model._base_manager
        # Written once read: SQLite does not isolate a write from a read in progress on the same connection.
        changed = []
        for pk, *values in manager.values_list("pk", *columns).iterator(chunk_size=2000):
            changes = {}
            for column, value in zip(columns, values, strict=True):
                if value and (safe := xml_safe(value)) != value:
                    changes[column] = safe
            if changes:
                changed.append((pk, changes))
        for pk, changes in changed:
            manager.filter(pk=pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("core", "0012_notifications")]

    operations = [migrations.RunPython(clean_text, migrations.RunPython.noop, elidable=True)]

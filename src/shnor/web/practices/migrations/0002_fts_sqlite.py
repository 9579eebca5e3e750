"""The FTS5 table of the practices' Russian full-text search, on SQLite only (PostgreSQL searches the
practices' columns with its own ``russian`` configuration and needs no table). The stemmed text is put
in by ``shnor.web.practices.search.index_put``."""

from django.db import migrations


def fts_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS practices_fts USING fts5(body, tokenize = 'unicode61')"
    )


def fts_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS practices_fts")


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_bank")]

    operations = [migrations.RunPython(fts_create, fts_drop)]

"""PostgreSQL only: a trigram index for the list's `q` filter (title, code or place name containing the text,
any case), which otherwise reads every incident: ~100 ms at 100,000 incidents, where the index answers in a
few. The expressions are those Django writes for `icontains` (`UPPER("title"::text) LIKE UPPER(%s)`).

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: a database owner may create it. Where it
cannot be created, the migration says so and goes on without the index; the filter works the same, slower.
SQLite has no such index; its scan of the same rows costs about 30 ms."""

import sys

from django.db import DatabaseError, migrations, transaction

INDEX = "incidents_incident_text_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint: a refusal leaves no trace
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(f"\n  pg_trgm not available ({exc}); the incident list's text filter runs without an index.",
              file=sys.stderr)
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON incidents_incident USING gin ("
        "(UPPER(title::text)) gin_trgm_ops, (UPPER(code::text)) gin_trgm_ops, (UPPER(location_name::text)) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_visibility_flags")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

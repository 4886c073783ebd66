"""On PostgreSQL: the trigram index on search_text keeps a pending list again, but a small one (256 kB,
gin_pending_list_limit) instead of none (0004) or the default 4 MB.

With no pending list (0004) every row written goes into the GIN index at once: searches stayed fast,
but a bulk update of 500 tickets (each a new row version, so new index entries even when the text is
the same) took 1.3-2.1 s instead of 0.4-0.8 s, and seeding 100,000 tickets 145-205 s instead of
105-130 s. With 4 MB (the default) the list grows to a few hundred pages, which every search reads
and which made the planner choose a sequential scan for frequent terms (docs/benchmarks.md). At
256 kB the list stays at about 30 pages, is merged in batches when full, and the same searches cost
what they cost with no list (refund 50 ms, 退款 59 ms; bulk update 550-830 ms). Nothing on SQLite."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX IF EXISTS tickets_search_trgm SET (fastupdate = on, gin_pending_list_limit = 256)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX IF EXISTS tickets_search_trgm SET (fastupdate = off)")
    schema_editor.execute("ALTER INDEX IF EXISTS tickets_search_trgm RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_search_index_without_pending_list")]

    operations = [migrations.RunPython(forwards, backwards)]

"""On PostgreSQL: the trigram index on search_text takes new entries at once (fastupdate off) instead of
collecting them in a pending list.

With the pending list (up to gin_pending_list_limit, 4 MB by default, flushed by vacuum) every search
also reads the unsorted list, and the planner prices the index by its length: at 100,000 tickets with
a few hundred pending pages it chose a sequential scan for frequent terms (a supervisor's count for
"refund" 86 ms, "退款" 105 ms; 17 and 30 ms with the list flushed). A desk writes a ticket's search
text at human rates, so paying the index insert on each write is the better trade. The list that is
already there is flushed here. Nothing on SQLite."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX IF EXISTS tickets_search_trgm SET (fastupdate = off)")
    schema_editor.execute("SELECT gin_clean_pending_list(to_regclass('tickets_search_trgm'))")  # NULL (no-op) without the index


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX IF EXISTS tickets_search_trgm RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_saved_views_portal_links")]

    operations = [migrations.RunPython(forwards, backwards)]

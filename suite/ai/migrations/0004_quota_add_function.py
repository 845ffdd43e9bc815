"""On PostgreSQL, one function charges (or refunds) a call's quota counters in one round trip.

It adds each amount in the order given (the caller sorts by quota id, so concurrent calls lock
counters in one order and never deadlock) and creates a window's counter on its first use. At
the first counter that would pass its cap, the exception block rolls back every counter this
call already charged: `counts` is null and `failed` names the full one (1-based). It also turns
off synchronous commit for the transaction it runs in, as `metering_db` explains.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ai_quota_add(
    quota_ids bigint[], starts timestamptz[], amounts bigint[], caps bigint[],
    OUT counts bigint[], OUT failed integer
) LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    counts := '{}';
    failed := 0;
    BEGIN
        FOR i IN 1 .. coalesce(array_length(quota_ids, 1), 0) LOOP
            UPDATE ai_quotacounter AS c SET used = c.used + amounts[i]
                WHERE c.quota_id = quota_ids[i] AND c.window_start = starts[i]
                  AND (caps[i] IS NULL OR c.used + amounts[i] <= caps[i])
                RETURNING c.used INTO n;
            IF NOT FOUND THEN
                -- The window's first call (or a full counter: then this insert does nothing).
                INSERT INTO ai_quotacounter (quota_id, window_start, used)
                    VALUES (quota_ids[i], starts[i], 0) ON CONFLICT DO NOTHING;
                UPDATE ai_quotacounter AS c SET used = c.used + amounts[i]
                    WHERE c.quota_id = quota_ids[i] AND c.window_start = starts[i]
                      AND (caps[i] IS NULL OR c.used + amounts[i] <= caps[i])
                    RETURNING c.used INTO n;
                IF NOT FOUND THEN
                    failed := i;
                    RAISE EXCEPTION 'quota % is full', quota_ids[i];
                END IF;
            END IF;
            counts := counts || n;
        END LOOP;
    EXCEPTION WHEN raise_exception THEN
        counts := NULL;
    END;
END;
$$;
"""
DROP = "DROP FUNCTION IF EXISTS ai_quota_add(bigint[], timestamptz[], bigint[], bigint[]);"


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ai", "0003_prices_budgets_aliases_and_key_limits")]

    operations = [migrations.RunPython(create, drop)]

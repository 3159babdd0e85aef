-- multiquery 0.2 -> 0.3: security and hardening.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.3'" to load this file. \quit

-- enqueue() is no longer executable by every role: the drain writes its rows
-- as the table's owner, so who may enqueue is granted deliberately, as for
-- race_query. Roles granted EXECUTE explicitly keep it.
REVOKE ALL ON FUNCTION multiquery.enqueue(regclass, jsonb, text) FROM PUBLIC;

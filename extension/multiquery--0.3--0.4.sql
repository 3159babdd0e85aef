-- multiquery 0.3 -> 0.4: racing foreign tables.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.4'" to load this file. \quit

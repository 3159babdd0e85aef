-- multiquery 0.2 -> 0.3: security and hardening.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.3'" to load this file. \quit

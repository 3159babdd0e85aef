-- multiquery 0.5 -> 0.6
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.6'" to load this file. \quit

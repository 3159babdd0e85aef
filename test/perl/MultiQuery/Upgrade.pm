# What the upgrade tests compare: every member object of the extension with
# its definition, comment, privileges and initial privileges (what pg_dump
# keeps), a table's or view's columns with theirs, one line each, as one
# query to run in each database.
package MultiQuery::Upgrade;

use strict;
use warnings;

# Every member object of the extension, with its definition, comment,
# privileges and initial privileges (what pg_dump keeps), one line each.
sub members_query {
	return q{
	SELECT pg_describe_object(d.classid, d.objid, 0)
	    || ' | ' || coalesce(CASE d.classid
	        WHEN 'pg_proc'::regclass THEN pg_get_functiondef(d.objid)
	            || ' acl=' || coalesce((SELECT proacl::text FROM pg_proc WHERE oid = d.objid), '-')
	        WHEN 'pg_class'::regclass THEN (SELECT relkind::text || ' ' || coalesce(pg_get_viewdef(oid), '')
	            || ' acl=' || coalesce(relacl::text, '-')
	            || ' columns=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	                    || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
	                    || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
	                    || ' acl=' || coalesce(a.attacl::text, '-')
	                    || ' comment=' || coalesce(col_description(a.attrelid, a.attnum), '-'), ', ' ORDER BY a.attnum)
	                FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '-')
	            FROM pg_class c WHERE oid = d.objid)
	        WHEN 'pg_foreign_data_wrapper'::regclass THEN (SELECT fdwvalidator::regprocedure::text
	            || ' ' || fdwhandler::regprocedure::text || ' acl=' || coalesce(fdwacl::text, '-')
	            FROM pg_foreign_data_wrapper WHERE oid = d.objid)
	        WHEN 'pg_namespace'::regclass THEN (SELECT 'acl=' || coalesce(nspacl::text, '-')
	            FROM pg_namespace WHERE oid = d.objid)
	        ELSE 'unexpected kind of member' END, 'NULL')
	    || ' | comment=' || coalesce(obj_description(d.objid, d.classid::regclass::name), '-')
	    || ' | initprivs=' || coalesce((SELECT string_agg(i.objsubid || ':' || i.initprivs::text, ' ' ORDER BY i.objsubid)
	        FROM pg_init_privs i WHERE i.classoid = d.classid AND i.objoid = d.objid), '-')
	  FROM pg_depend d
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'multiquery')
	 ORDER BY 1};
}

1;

// Insert targets of the drain; see target.hpp.
#include "queue/target.hpp"

#include "core/sqlstate.hpp"
#include "core/table_list.hpp"
#include "pg/guard.hpp"
#include "queue/settings.hpp"
#include "queue/subtransaction.hpp"

extern "C" {
#include "access/relation.h"
#include "access/transam.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_namespace_d.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "catalog/pg_type_d.h"
#include "mb/pg_wchar.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/varlena.h"
}

namespace mq::queue {
namespace {

// What the catalog says about a relation, gathered in one PostgreSQL frame.
struct RawTarget {
    Oid relid;
    Oid insert_role;
    const char* problem_sqlstate;  // null when usable
    const char* problem;           // palloc'd message
    const char* qualified_name;
    const char* detail;  // why, when problem is set (or null)
    const char* hint;    // what to do, when problem is set (or null)
    // A table the drain writes only when multiquery.drain_superuser_tables
    // lists it: its schema and name, the superuser that owns it or the
    // extension it belongs to (null when neither).
    const char* nspname;
    const char* relname;
    const char* superuser_owner;
    const char* extension;
    int ncolumns;
    const char** names;
    const char** quoted_names;
    const char** types;
    bool* copyable;
    bool* jsonb;
    int* binary;  // a BinaryKind, or -1
    bool table_copyable;
};

// The role an insert into a table owned by owner runs as: drain_role when one
// is set, else the owner. A table's triggers, defaults, constraints and index
// expressions run as that role, so it never has more rights than the owner
// unless the administrator chose so: a superuser drain_role counts as unset
// (as PostgreSQL runs maintenance commands as the table owner since
// CVE-2022-1552). Runs inside pg::call.
Oid insert_role_for(Oid owner, Oid drain_role) {
    if (!OidIsValid(drain_role))
        return owner;
    if (superuser_arg(drain_role) && !superuser_arg(owner))
        return owner;
    return drain_role;
}

// How binary COPY writes a column of this type (a BinaryKind), or -1 for a
// type the binary converter does not write. Built-in types only: a domain
// is not copyable at all (look_up).
int binary_kind(Oid type) {
    switch (type) {
        case INT2OID: return static_cast<int>(BinaryKind::kInt2);
        case INT4OID: return static_cast<int>(BinaryKind::kInt4);
        case INT8OID: return static_cast<int>(BinaryKind::kInt8);
        case BOOLOID: return static_cast<int>(BinaryKind::kBool);
        case TEXTOID:
        case VARCHAROID: return static_cast<int>(BinaryKind::kText);
        // The jsonb image is what jsonb_in makes in a UTF-8 database.
        // (bench/jsonb_images.sh builds the library a second time with
        // MQ_JSONB_VIA_RECV, to time the server's own jsonb input instead.)
        case JSONBOID:
#ifdef MQ_JSONB_VIA_RECV
            return static_cast<int>(BinaryKind::kJsonb);
#else
            return static_cast<int>(GetDatabaseEncoding() == PG_UTF8 ? BinaryKind::kJsonbImage
                                                                     : BinaryKind::kJsonb);
#endif
        case TIMESTAMPTZOID: return static_cast<int>(BinaryKind::kTimestamptz);
        default: return -1;
    }
}

// Whether a relation is the server's own: in a schema initdb creates
// (pg_catalog, information_schema, pg_toast, but not public) or with an OID
// initdb assigned. Nothing lets the drain write one.
bool is_system_relation(Oid relid, Oid nsp) {
    return relid < FirstNormalObjectId || IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
           (nsp < FirstNormalObjectId && nsp != PG_PUBLIC_NAMESPACE);
}

// Looks the name up and checks it; runs inside pg::call (no C++ objects).
void look_up(const char* table, Oid drain_role, RawTarget* out) {
    *out = RawTarget{};
    char* raw = pstrdup(table);
    List* names = NIL;
    if (!SplitIdentifierString(raw, '.', &names) || list_length(names) < 1 ||
        list_length(names) > 2) {
        out->problem_sqlstate = mq::sqlstate::kInvalidName;
        out->problem = psprintf("invalid table name \"%s\"", table);
        return;
    }
    const char* schema = list_length(names) == 2 ? static_cast<char*>(linitial(names)) : nullptr;
    const char* relname = static_cast<char*>(llast(names));
    RangeVar* rv = makeRangeVar(schema ? pstrdup(schema) : nullptr, pstrdup(relname), -1);
    Oid relid = RangeVarGetRelid(rv, RowExclusiveLock, true);
    if (!OidIsValid(relid)) {
        out->problem_sqlstate = mq::sqlstate::kUndefinedTable;
        out->problem = psprintf("relation \"%s\" does not exist", table);
        return;
    }
    out->relid = relid;
    Relation rel = relation_open(relid, NoLock);  // locked by RangeVarGetRelid
    Oid owner = rel->rd_rel->relowner;
    Oid role = insert_role_for(owner, drain_role);
    out->insert_role = role;
    relation_close(rel, NoLock);
    char relkind = get_rel_relkind(relid);
    Oid nsp = get_rel_namespace(relid);
    const char* nspname = get_namespace_name(nsp);
    const char* name = get_rel_name(relid);
    out->qualified_name = quote_qualified_identifier(nspname, name);
    if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE) {
        out->problem_sqlstate = mq::sqlstate::kWrongObjectType;
        out->problem = psprintf("\"%s\" is not a table", out->qualified_name);
        return;
    }
    Oid own_schema = get_namespace_oid("multiquery", true);
    if (is_system_relation(relid, nsp) || isAnyTempNamespace(nsp) || nsp == own_schema) {
        out->problem_sqlstate = mq::sqlstate::kInsufficientPrivilege;
        out->problem = psprintf("the drain does not write system, temporary or multiquery tables "
                                "such as %s", out->qualified_name);
        if (is_system_relation(relid, nsp))
            out->detail = "A system relation is never a queue table, whatever "
                          "multiquery.drain_superuser_tables says.";
        return;
    }
    // Judged by resolve(), against multiquery.drain_superuser_tables.
    out->nspname = nspname;
    out->relname = name;
    if (superuser_arg(owner))
        out->superuser_owner = GetUserNameFromId(owner, false);
    Oid extension = getExtensionOfObject(RelationRelationId, relid);
    if (OidIsValid(extension))
        out->extension = get_extension_name(extension);
    if (pg_namespace_aclcheck(nsp, role, ACL_USAGE) != ACLCHECK_OK) {
        out->problem_sqlstate = mq::sqlstate::kInsufficientPrivilege;
        out->problem = psprintf("permission denied for schema %s (inserting as role %s)",
                                quote_identifier(nspname), GetUserNameFromId(role, false));
        return;
    }
    if (pg_class_aclcheck(relid, role, ACL_INSERT) != ACLCHECK_OK &&
        pg_attribute_aclcheck_all(relid, role, ACL_INSERT, ACLMASK_ANY) != ACLCHECK_OK) {
        out->problem_sqlstate = mq::sqlstate::kInsufficientPrivilege;
        out->problem = psprintf("permission denied for table %s (inserting as role %s)",
                                out->qualified_name, GetUserNameFromId(role, false));
        return;
    }
    rel = relation_open(relid, NoLock);
    TupleDesc desc = RelationGetDescr(rel);
    out->names = static_cast<const char**>(palloc0(sizeof(char*) * (desc->natts + 1)));
    out->quoted_names = static_cast<const char**>(palloc0(sizeof(char*) * (desc->natts + 1)));
    out->types = static_cast<const char**>(palloc0(sizeof(char*) * (desc->natts + 1)));
    out->copyable = static_cast<bool*>(palloc0(sizeof(bool) * (desc->natts + 1)));
    out->jsonb = static_cast<bool*>(palloc0(sizeof(bool) * (desc->natts + 1)));
    out->binary = static_cast<int*>(palloc0(sizeof(int) * (desc->natts + 1)));
    out->table_copyable = !rel->rd_rel->relhasrules && !rel->rd_rel->relrowsecurity &&
                          GetDatabaseEncoding() == PG_UTF8 &&
                          pg_class_aclcheck(relid, role, ACL_INSERT) == ACLCHECK_OK;
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        if (att->attisdropped)
            continue;
        const char* attname = pstrdup(NameStr(att->attname));
        out->names[out->ncolumns] = attname;
        out->quoted_names[out->ncolumns] = quote_identifier(attname);
        out->types[out->ncolumns] = format_type_extended(
            att->atttypid, att->atttypmod, FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
        // jsonb_to_recordset converts JSON into arrays, composites and
        // domains itself, and hands json columns jsonb's normalized text;
        // COPY would not do the same. A generated column refuses an INSERT
        // value with its own error, and COPY would fill a GENERATED ALWAYS
        // identity column that INSERT refuses.
        char typtype = get_typtype(att->atttypid);
        out->jsonb[out->ncolumns] = att->atttypid == JSONBOID;
        out->copyable[out->ncolumns] =
            att->atttypid != JSONOID && OidIsValid(get_element_type(att->atttypid)) == false &&
            (typtype == TYPTYPE_BASE || typtype == TYPTYPE_ENUM || typtype == TYPTYPE_RANGE ||
             typtype == TYPTYPE_MULTIRANGE) &&
            att->attgenerated == '\0' && att->attidentity != ATTRIBUTE_IDENTITY_ALWAYS;
        out->binary[out->ncolumns] = out->copyable[out->ncolumns] ? binary_kind(att->atttypid) : -1;
        ++out->ncolumns;
    }
    relation_close(rel, NoLock);
}

// Refuses a table a superuser owns or an extension holds: an insert into
// it runs as that superuser (cron.job would schedule a command as one), or
// changes what an extension relies on, for anyone who may write to a stream.
void refuse_privileged(RawTarget* raw) {
    pg::call([&] {
        raw->problem_sqlstate = mq::sqlstate::kInsufficientPrivilege;
        raw->problem = psprintf("the drain does not write table %s", raw->qualified_name);
        if (raw->superuser_owner != nullptr) {
            raw->detail = psprintf("The table is owned by superuser \"%s\".", raw->superuser_owner);
            raw->hint = "Make an ordinary role its owner, or list the table in "
                        "multiquery.drain_superuser_tables.";
        } else {
            raw->detail = psprintf("The table is a member of extension \"%s\".", raw->extension);
            raw->hint = "List the table in multiquery.drain_superuser_tables to let the drain "
                        "write it.";
        }
    });
}

}  // namespace

const TableList& TargetResolver::privileged_tables() {
    if (!privileged_tables_) {
        // Checked when set (settings.cpp): a value that does not parse
        // cannot be in effect.
        std::string error;
        privileged_tables_ = parse_table_list(
            drain_superuser_tables ? drain_superuser_tables : "", &error).value_or(TableList{});
    }
    return *privileged_tables_;
}

std::string Target::insert_sql(const std::vector<std::string>& keys) const {
    if (keys.empty())  // every column gets its default
        return "INSERT INTO " + qualified_name +
               " SELECT FROM pg_catalog.jsonb_array_elements($1::pg_catalog.jsonb)";
    std::string cols, select, defs;
    for (const auto& key : keys) {
        const TargetColumn& col = columns.at(key);
        if (!cols.empty()) {
            cols += ", ";
            select += ", ";
            defs += ", ";
        }
        cols += col.quoted_name;
        select += "x." + col.quoted_name;
        defs += col.quoted_name + " " + col.type;
    }
    return "INSERT INTO " + qualified_name + " (" + cols + ") SELECT " + select +
           " FROM pg_catalog.jsonb_to_recordset($1::pg_catalog.jsonb) AS x(" + defs + ")";
}

const Target* TargetResolver::resolve(std::string_view table, EntryProblem* problem) {
    if (auto it = by_name_.find(table); it != by_name_.end())
        return it->second.get();
    if (auto it = problems_.find(table); it != problems_.end()) {
        *problem = it->second;
        return nullptr;
    }
    std::string name(table);
    RawTarget raw;
    Oid role = role_;
    // The table's lock is taken here, under the batch's lock_timeout: in a
    // subtransaction, so that a table its owner keeps locked is that
    // table's entries' problem once the batch is isolated, not the stream's.
    ErrorData* failure =
        in_subtransaction([&] { pg::call([&] { look_up(name.c_str(), role, &raw); }); });
    if (failure != nullptr) {
        std::string sqlstate = unpack_sql_state(failure->sqlerrcode);
        if (!isolate_ || is_server_state_sqlstate(sqlstate))
            throw pg::PgException(failure);
        raw.problem_sqlstate = pstrdup(sqlstate.c_str());
        raw.problem = failure->message ? failure->message : "error";
        // Kept for the dead letter, whose detail also names the table: a
        // lock timeout's message does not.
        raw.detail = failure->detail;
        raw.hint = failure->hint;
    }
    if (failure == nullptr && (raw.superuser_owner != nullptr || raw.extension != nullptr) &&
        !privileged_tables().contains(raw.nspname, raw.relname))
        refuse_privileged(&raw);
    if (raw.problem_sqlstate != nullptr) {
        EntryProblem found{raw.problem_sqlstate, raw.problem, raw.detail ? raw.detail : "",
                           raw.hint ? raw.hint : ""};
        if (failure != nullptr)
            found.detail = detail_naming_table(found.message, found.detail, name, name);
        problems_.emplace(name, found);
        *problem = found;
        return nullptr;
    }
    auto target = std::make_unique<Target>();
    target->relid = raw.relid;
    target->insert_role = raw.insert_role;
    target->qualified_name = raw.qualified_name;
    target->relname = raw.relname;
    target->copyable = raw.table_copyable;
    for (int i = 0; i < raw.ncolumns; ++i)
        target->columns.emplace(
            raw.names[i],
            TargetColumn{raw.quoted_names[i], raw.types[i], raw.copyable[i],
                         raw.jsonb[i] ? CopyColumnKind::kJsonb : CopyColumnKind::kScalar,
                         raw.binary[i] < 0 ? std::nullopt
                                           : std::optional(static_cast<BinaryKind>(raw.binary[i]))});
    return by_name_.emplace(name, std::move(target)).first->second.get();
}

bool TargetResolver::check_keys(const Target& target, const std::vector<std::string>& keys,
                                EntryProblem* problem) {
    for (const auto& key : keys)
        if (target.columns.find(key) == target.columns.end()) {
            problem->sqlstate = mq::sqlstate::kUndefinedColumn;
            problem->message = "column \"" + key + "\" of relation " + target.qualified_name +
                               " does not exist";
            return false;
        }
    return true;
}

}  // namespace mq::queue

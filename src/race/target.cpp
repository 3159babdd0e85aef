// Resolving race targets; see target.hpp.
#include "race/target.hpp"

#include <cctype>
#include <cstring>

#include <libpq-fe.h>

#include "core/comma_list.hpp"
#include "core/conninfo.hpp"
#include "core/error.hpp"
#include "core/race_failure.hpp"
#include "pg/guard.hpp"
#include "race/libpq_options.hpp"
#include "race/nesting.hpp"

extern "C" {
#include "catalog/pg_foreign_server.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
}

namespace mq::race {
namespace {

// Every remote session is read-only by default; race_query also checks, after
// each query, that it stayed so (connection.cpp).
constexpr const char* kReadOnlyOption = "-c default_transaction_read_only=on";
// The formats the rows come back in (the block sets them again only where
// the server reports others: engine_pipeline.cpp).
constexpr const char* kFormatOptions =
    "-c datestyle=ISO -c intervalstyle=postgres -c extra_float_digits=3";

// Sets keyword to value, replacing an earlier setting.
void set_parameter(TargetSpec* spec, const std::string& keyword, const std::string& value) {
    for (size_t i = 0; i < spec->keywords.size(); ++i)
        if (spec->keywords[i] == keyword) {
            spec->values[i] = value;
            return;
        }
    spec->keywords.push_back(keyword);
    spec->values.push_back(value);
}

const std::string* find_parameter(const TargetSpec& spec, const std::string& keyword) {
    for (size_t i = 0; i < spec.keywords.size(); ++i)
        if (spec.keywords[i] == keyword)
            return &spec.values[i];
    return nullptr;
}

// The parameters race_query adds to whatever the target specified.
void add_race_parameters(TargetSpec* spec) {
    const std::string* options = find_parameter(*spec, "options");
    std::string race_options =
        std::string(kReadOnlyOption) + " " + kFormatOptions + " " + kNestingOption;
    std::string all_options = options == nullptr || options->empty()
                                  ? race_options
                                  : *options + " " + race_options;
    set_parameter(spec, "options", all_options);
    set_parameter(spec, "fallback_application_name", "multiquery");
    set_parameter(spec, "client_encoding", pg::call([] { return GetDatabaseEncodingName(); }));
}

// A non-superuser must bring a password, as in dblink and postgres_fdw: with
// none, libpq would fall back on the server's own identity (trust, peer,
// the server account's .pgpass). Whether the server asked for it is checked
// after connecting.
void check_password_given(TargetSpec* spec, const char* where, Oid user) {
    bool is_superuser = pg::call([&] { return superuser_arg(user); });
    if (is_superuser)
        return;
    spec->password_required = true;
    const std::string* password = find_parameter(*spec, "password");
    if (password == nullptr || password->empty())
        throw Error(mq::sqlstate::kSreProhibitedSqlStatementAttempted, "password is required",
                    std::string("Non-superusers must provide a password in ") + where + ".",
                    "Target \"" + spec->name + "\" needs a password, and its server must ask for it.");
}

bool is_secret_option(const char* keyword) {
    return std::strcmp(keyword, "password") == 0 || std::strcmp(keyword, "sslpassword") == 0;
}

// A display name built from what libpq parsed, secrets left out: for a string
// whose redacted form still shows a password (libpq read it differently).
std::string name_without_secrets(const PQconninfoOption* options) {
    std::string name;
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val == nullptr || is_secret_option(option->keyword))
            continue;
        std::string value = option->val;
        bool quote = value.empty() || value.find_first_of(" \t\n\r\f\v'\\") != std::string::npos;
        if (!name.empty())
            name.push_back(' ');
        name.append(option->keyword).push_back('=');
        if (!quote) {
            name.append(value);
            continue;
        }
        name.push_back('\'');
        for (char c : value) {
            if (c == '\'' || c == '\\')
                name.push_back('\\');
            name.push_back(c);
        }
        name.push_back('\'');
    }
    return name.empty() ? "<connection string>" : name;
}

// Belt and braces: the redaction follows libpq's rules, but should the two
// ever disagree, no password libpq parsed may show in the name.
void hide_parsed_secrets(TargetSpec* spec, const PQconninfoOption* options) {
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option)
        if (option->val != nullptr && option->val[0] != '\0' && is_secret_option(option->keyword) &&
            spec->name.find(option->val) != std::string::npos) {
            spec->name = name_without_secrets(options);
            return;
        }
}

// libpq's parse errors quote pieces of the string ("invalid percent-encoded
// token: ..."): shown only for a string with nothing to hide, neither a
// password the redaction found, nor a percent escape or a "password" it might
// have missed.
bool parse_error_is_safe(const std::string& target, const std::string& redacted) {
    if (redacted != target || target.find('%') != std::string::npos)
        return false;
    std::string lower;
    for (char c : target)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return lower.find("password") == std::string::npos;
}

TargetSpec resolve_conninfo(const std::string& target, Oid user) {
    TargetSpec spec;
    spec.name = redact_conninfo(target);
    if (ambiguous_uri_user_info(target))
        throw Error(mq::sqlstate::kInvalidName,
                    "invalid connection string in race target \"" + spec.name + "\"",
                    "libpq reads no user name or password before the host, but an \"@\" follows "
                    "it.",
                    "Percent-encode a \"/\" in a password as %2F, and an \"@\" after the host as "
                    "%40.");
    char* parse_error = nullptr;
    PQconninfoOption* options = PQconninfoParse(target.c_str(), &parse_error);
    if (options == nullptr) {
        std::string detail;
        if (parse_error != nullptr && parse_error_is_safe(target, spec.name))
            detail = one_line(parse_error);
        PQfreemem(parse_error);
        throw Error(mq::sqlstate::kInvalidName,
                    "invalid connection string in race target \"" + spec.name + "\"",
                    detail);
    }
    hide_parsed_secrets(&spec, options);
    for (PQconninfoOption* option = options; option->keyword != nullptr; ++option)
        if (option->val != nullptr) {
            spec.keywords.emplace_back(option->keyword);
            spec.values.emplace_back(option->val);
        }
    PQconninfoFree(options);
    spec.key = "conninfo:" + std::to_string(user) + ":" + target;
    check_password_given(&spec, "the connection string", user);
    add_race_parameters(&spec);
    return spec;
}

void add_options(TargetSpec* spec, List* options, OptionPlace place) {
    ListCell* cell;
    foreach (cell, options) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        // postgres_fdw servers carry options of their own (fetch_size, ...).
        if (accepts_option(option->defname, place))
            set_parameter(spec, option->defname, pg::call([&] { return defGetString(option); }));
    }
}

std::string wrapper_of(const ForeignServer* server) {
    ForeignDataWrapper* wrapper = pg::call([&] { return GetForeignDataWrapper(server->fdwid); });
    return wrapper->fdwname;
}

void check_usage(const ForeignServer* server, Oid user) {
    pg::call([&] {
        AclResult result = pg_foreign_server_aclcheck(server->serverid, user, ACL_USAGE);
        if (result != ACLCHECK_OK)
            aclcheck_error(result, OBJECT_FOREIGN_SERVER, server->servername);
    });
}

// GetUserMapping's own error names neither the server nor who needs the
// mapping; a race group's reads need one on every member.
void check_mapping_exists(const ForeignServer* server, Oid user) {
    bool found = pg::call([&] {
        return SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(user),
                                     ObjectIdGetDatum(server->serverid)) ||
               SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
                                     ObjectIdGetDatum(server->serverid));
    });
    if (found)
        return;
    std::string role = pg::call([&] { return std::string(GetUserNameFromId(user, false)); });
    std::string name = server->servername;
    std::string quoted_role = pg::call([&] { return std::string(quote_identifier(role.c_str())); });
    std::string quoted_name = pg::call([&] { return std::string(quote_identifier(name.c_str())); });
    throw Error(mq::sqlstate::kUndefinedObject,
                "user mapping not found for user \"" + role + "\", server \"" + name + "\"",
                "Each race target is reached with the user mapping, for that target's server, "
                "of the role the read runs as: the current user; for a foreign table read "
                "through a view, the view's owner; for ANALYZE, the foreign table's owner.",
                "Create one: CREATE USER MAPPING FOR " + quoted_role + " SERVER " + quoted_name +
                    " OPTIONS (user '...', password '...'), or FOR PUBLIC.");
}

TargetSpec resolve_server(const std::string& target, Oid user) {
    TargetSpec spec;
    spec.name = target;
    ForeignServer* server =
        pg::call([&] { return GetForeignServerByName(target.c_str(), false); });
    std::string wrapper_name = wrapper_of(server);
    if (wrapper_name != "multiquery" && wrapper_name != "postgres_fdw")
        throw Error(mq::sqlstate::kWrongObjectType,
                    "foreign server \"" + target + "\" is not a multiquery or postgres_fdw server",
                    "It belongs to the foreign-data wrapper \"" + wrapper_name + "\".");
    if (wrapper_name == "multiquery" && race_group_members(server) != nullptr)
        throw Error(mq::sqlstate::kWrongObjectType,
                    "foreign server \"" + target + "\" is a race group, not a race target",
                    "A race group's targets must be servers with connection options.");
    check_usage(server, user);
    check_mapping_exists(server, user);
    UserMapping* mapping = pg::call([&] { return GetUserMapping(user, server->serverid); });
    add_options(&spec, server->options, OptionPlace::kServer);
    add_options(&spec, mapping->options, OptionPlace::kUserMapping);
    spec.key = "server:" + std::to_string(server->serverid) + ":" + std::to_string(user);
    pg::call([&] {
        spec.server_hash = GetSysCacheHashValue1(FOREIGNSERVEROID, ObjectIdGetDatum(server->serverid));
        spec.mapping_hash = GetSysCacheHashValue1(USERMAPPINGOID, ObjectIdGetDatum(mapping->umid));
    });
    check_password_given(&spec, "the user mapping", user);
    add_race_parameters(&spec);
    return spec;
}

Oid user_or_current(Oid user) {
    return user != InvalidOid ? user : pg::call([] { return GetUserId(); });
}

}  // namespace

const char* race_group_members(const ForeignServer* server) {
    ListCell* cell;
    foreach (cell, server->options) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        if (std::strcmp(option->defname, kRaceGroupOption) == 0)
            return pg::call([&] { return defGetString(option); });
    }
    return nullptr;
}

std::vector<std::string> split_race_group(const std::string& members) {
    return split_comma_list(members);
}

TargetSpec resolve_target(const std::string& target, Oid user) {
    if (target.empty())
        throw Error(sqlstate::kInvalidParameterValue, "race target must not be empty", {},
                    "A target is a foreign server name or a libpq connection string.");
    user = user_or_current(user);
    return looks_like_conninfo(target) ? resolve_conninfo(target, user)
                                       : resolve_server(target, user);
}

void check_race_group_members(const std::string& group, const std::vector<std::string>& members) {
    const std::string in_group = "\"" + group + "\"";
    for (size_t i = 0; i < members.size(); ++i) {
        const std::string& name = members[i];
        const std::string quoted = "\"" + name + "\"";
        if (name.empty())
            throw Error(sqlstate::kInvalidParameterValue,
                        "race group " + in_group + " names an empty target", {},
                        "Write its targets as a comma-separated list of server names.");
        if (looks_like_conninfo(name))
            throw Error(sqlstate::kInvalidParameterValue,
                        "race group " + in_group + " may name only foreign servers as targets",
                        "Its option \"targets\" names the connection string \"" +
                            redact_conninfo(name) + "\".",
                        "Create a multiquery server for each connection and name the servers in "
                        "\"targets\".");
        for (size_t j = 0; j < i; ++j)
            if (members[j] == name)
                throw Error(sqlstate::kInvalidParameterValue,
                            "race target " + quoted + " is listed twice",
                            "Race group " + in_group + " names it twice in its option \"targets\".",
                            "Name each server once.");
        if (name == group)
            throw Error(sqlstate::kWrongObjectType, "race group " + in_group + " names itself",
                        "The option \"targets\" of a race group names the servers it races.",
                        "Name the servers with connection options that " + in_group +
                            " should race.");
        ForeignServer* server =
            pg::call([&] { return GetForeignServerByName(name.c_str(), true); });
        if (server == nullptr)
            throw Error(sqlstate::kUndefinedObject, "server " + quoted + " does not exist",
                        "Race group " + in_group + " names it in its option \"targets\".",
                        "Create server " + quoted + ", or remove it from the option \"targets\" of " +
                            in_group + ".");
        std::string wrapper = wrapper_of(server);
        if (wrapper != "multiquery" && wrapper != "postgres_fdw")
            throw Error(sqlstate::kWrongObjectType,
                        "foreign server " + quoted + " is not a multiquery or postgres_fdw server",
                        "Race group " + in_group +
                            " names it in its option \"targets\"; it belongs to the "
                            "foreign-data wrapper \"" + wrapper + "\".",
                        "Remove it from the option \"targets\" of " + in_group + ".");
        if (wrapper == "multiquery" && race_group_members(server) != nullptr)
            throw Error(sqlstate::kWrongObjectType,
                        "foreign server " + quoted + " is a race group, not a race target",
                        "Race group " + in_group +
                            " names it in its option \"targets\", and a race group cannot name "
                            "another.",
                        "Name the servers of " + quoted + " in the option \"targets\" of " +
                            in_group + " instead.");
    }
}

std::vector<TargetSpec> resolve_server_targets(const ForeignServer* server, Oid user) {
    user = user_or_current(user);
    const char* members = race_group_members(server);
    if (members == nullptr)
        return {resolve_server(server->servername, user)};
    // USAGE on the group is what lets a role race through it; each member
    // still needs USAGE and a user mapping of its own (resolve_server).
    check_usage(server, user);
    std::string group = server->servername;
    std::vector<std::string> names = split_race_group(members);
    check_race_group_members(group, names);
    std::vector<TargetSpec> targets;
    for (const std::string& name : names) {
        targets.push_back(resolve_server(name, user));
        targets.back().group = group;
    }
    return targets;
}

std::vector<TargetSpec> resolve_targets(const std::string& name, Oid user) {
    if (name.empty() || looks_like_conninfo(name))
        return {resolve_target(name, user)};
    ForeignServer* server = pg::call([&] { return GetForeignServerByName(name.c_str(), false); });
    if (wrapper_of(server) != "multiquery")
        return {resolve_target(name, user)};
    return resolve_server_targets(server, user);
}

}  // namespace mq::race

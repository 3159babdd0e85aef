// Which failures are the query's fault and which are one server's.
#pragma once

#include <string_view>

namespace mq {

// Every SQLSTATE the extension raises itself, named as PostgreSQL's
// errcodes.h names them (remote ones travel through unchanged). Code that
// includes PostgreSQL's headers may use ERRCODE_* directly.
namespace sqlstate {
inline constexpr const char* kUnableToConnect = "08001";  // sqlclient_unable_to_establish_sqlconnection
inline constexpr const char* kConnectionFailure = "08006";  // connection_failure
inline constexpr const char* kProtocolViolation = "08P01";  // protocol_violation
inline constexpr const char* kFeatureNotSupported = "0A000";  // feature_not_supported
inline constexpr const char* kNullValueNotAllowed = "22004";  // null_value_not_allowed
inline constexpr const char* kCharacterNotInRepertoire = "22021";  // character_not_in_repertoire
inline constexpr const char* kInvalidParameterValue = "22023";  // invalid_parameter_value
inline constexpr const char* kArrayElementError = "2202E";  // array_element_error
inline constexpr const char* kInvalidTextRepresentation = "22P02";  // invalid_text_representation
inline constexpr const char* kActiveSqlTransaction = "25001";  // active_sql_transaction
inline constexpr const char* kReadOnlySqlTransaction = "25006";  // read_only_sql_transaction
inline constexpr const char* kInvalidSqlStatementName = "26000";  // invalid_sql_statement_name
inline constexpr const char* kInvalidPassword = "28P01";  // invalid_password
inline constexpr const char* kInvalidTransactionTermination = "2D000";  // invalid_transaction_termination
inline constexpr const char* kSreProhibitedSqlStatementAttempted = "2F003";  // s_r_e_prohibited_sql_statement_attempted
inline constexpr const char* kDependentObjectsStillExist = "2BP01";  // dependent_objects_still_exist
inline constexpr const char* kSerializationFailure = "40001";  // serialization_failure
inline constexpr const char* kInsufficientPrivilege = "42501";  // insufficient_privilege
inline constexpr const char* kSyntaxError = "42601";  // syntax_error
inline constexpr const char* kInvalidName = "42602";  // invalid_name
inline constexpr const char* kUndefinedColumn = "42703";  // undefined_column
inline constexpr const char* kUndefinedObject = "42704";  // undefined_object
inline constexpr const char* kDatatypeMismatch = "42804";  // datatype_mismatch
inline constexpr const char* kWrongObjectType = "42809";  // wrong_object_type
inline constexpr const char* kInvalidObjectDefinition = "42P17";  // invalid_object_definition
inline constexpr const char* kUndefinedTable = "42P01";  // undefined_table
inline constexpr const char* kDuplicatePreparedStatement = "42P05";  // duplicate_prepared_statement
inline constexpr const char* kOutOfMemory = "53200";  // out_of_memory
inline constexpr const char* kProgramLimitExceeded = "54000";  // program_limit_exceeded
inline constexpr const char* kTooManyArguments = "54023";  // too_many_arguments
inline constexpr const char* kObjectNotInPrerequisiteState = "55000";  // object_not_in_prerequisite_state
inline constexpr const char* kQueryCanceled = "57014";  // query_canceled
inline constexpr const char* kCannotConnectNow = "57P03";  // cannot_connect_now
inline constexpr const char* kSystemError = "58000";  // system_error
inline constexpr const char* kIoError = "58030";  // io_error
inline constexpr const char* kUndefinedFile = "58P01";  // undefined_file
inline constexpr const char* kConfigFileError = "F0000";  // config_file_error
inline constexpr const char* kFdwError = "HV000";  // fdw_error
inline constexpr const char* kFdwInvalidOptionName = "HV00D";  // fdw_invalid_option_name
inline constexpr const char* kFdwSchemaNotFound = "HV00Q";  // fdw_schema_not_found
inline constexpr const char* kFdwTableNotFound = "HV00R";  // fdw_table_not_found
inline constexpr const char* kInternalError = "XX000";  // internal_error
}  // namespace sqlstate

enum class FailureKind {
    // The statement or its data is wrong: every server would answer the same,
    // so trying another one (or again) cannot help.
    kDeterministic,
    // This server cannot answer now (down, overloaded, shutting down, in
    // recovery conflict, ...): another server, or a later try, may succeed.
    kTransient,
};

// Classifies a five-character SQLSTATE; anything unknown or malformed is
// transient, since blaming the statement would stop a retry that might work.
FailureKind classify_sqlstate(std::string_view sqlstate);

// True when a failure with this SQLSTATE says the server cannot take writes
// now (connection trouble, resources, shutdown, read-only, corruption),
// rather than anything about what was being written: such a failure never
// makes an entry of the write queue a dead letter, however often it recurs.
bool is_server_state_sqlstate(std::string_view sqlstate);

}  // namespace mq

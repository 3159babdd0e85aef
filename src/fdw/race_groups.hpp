// Race groups checked when they are defined. The validator (validator.cpp)
// is given a server's options but not the server, so what needs to know
// which server is being defined is checked by an object access hook, after
// each CREATE or ALTER of a server or a user mapping.
#pragma once

namespace mq::fdw {

// Installs the hook; called once per process, from _PG_init.
void install_race_group_checks();

}  // namespace mq::fdw

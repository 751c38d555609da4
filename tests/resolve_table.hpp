// The resolver's case table (tests/data/resolve_cases.tsv) and the registry it is written
// against: shared by resolver_test (every case, properties) and threads_test (the same cases
// resolved from several threads at once).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"

namespace imgstore::test {

/// enabled_backends of the table's registry: every store type, siblings (`fast`/`fast2`,
/// `cinder1`/`cinder10`) and stores sharing a prefix (`vm1`/`vm2`).
extern const std::vector<std::string> table_backends;

/// The table's glance-api.conf with `backends` as enabled_backends, in that order. Its swift
/// reference file is written once and lives as long as the test program.
std::string table_config(const std::vector<std::string>& backends);

/// A registry built from config `text`; a failed parse or build fails the calling test.
std::shared_ptr<const store_registry> build_registry(const std::string& text);

/// The resolver over table_config(table_backends), built on first use. Thread-safe.
const location_resolver& table_resolver();

/// One row of resolve_cases.tsv.
struct resolve_case {
    int line = 0;
    std::string url;              // unescaped: \xNN, \\, \{N}c (N copies of c)
    std::string result;           // resolve_status name
    std::string store_or_reason;  // the owner's id when matched, else the reason_code name
    std::string canonical;        // expected canonical form; the input for "=", unchecked for "-"
    std::string note;
};

/// gtest prints a case by its line and URL, not as bytes.
void PrintTo(const resolve_case& c, std::ostream* os);

/// Every row of resolve_cases.tsv, read on first use. Thread-safe.
const std::vector<resolve_case>& table();

/// The owner's id of a match, else the reason code's name.
std::string what(const resolution& r);

/// Everything about a resolution that must not change between equivalent resolvers.
std::string summary(const resolution& r);

}  // namespace imgstore::test

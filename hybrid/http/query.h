// Percent-decoding (RFC 3986 §2.1) of paths and query strings, and query parameter lookup
// (application/x-www-form-urlencoded, WHATWG URL §5.1: '&'-separated "name=value", '+' a space).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hybrid::http {

// Appends the decoded `text` to `out`; with `plus_is_space`, '+' decodes to ' '. False (with
// `out` partly written) for a malformed escape ("%4", "%zz") or a decoded NUL.
bool percent_decode(std::string_view text, std::string& out, bool plus_is_space = false);

// The decoded value of the first parameter whose decoded name is `name`; "" for "name" or
// "name=". nullopt when absent, or when that parameter is malformed.
std::optional<std::string> find_query_parameter(std::string_view query, std::string_view name);

}  // namespace hybrid::http

#include "hybrid/http/request.h"

#include <array>
#include <utility>

#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

// Only ASCII letters fold: header names and tokens are ASCII (RFC 9110 §5.1), and a locale-aware
constexpr std::array<std::pair<std::string_view, Method>, 9> kMethods{{
    {"GET", Method::kGet},
    {"HEAD", Method::kHead},
    {"POST", Method::kPost},
    {"PUT", Method::kPut},
    {"DELETE", Method::kDelete},
    {"CONNECT", Method::kConnect},
    {"OPTIONS", Method::kOptions},
    {"TRACE", Method::kTrace},
    {"PATCH", Method::kPatch},
}};

}  // namespace

Method method_from_token(std::string_view token) {
  // GET first: it is nearly every request a static server sees.
  for (const auto& [name, method] : kMethods) {
    if (token == name) return method;
  }
  return Method::kUnknown;
}

std::optional<std::string_view> Request::find_header(std::string_view name) const {
  for (const Header& header : headers()) {
    if (iequals(header.name, name)) return header.value;
  }
  return std::nullopt;
}

std::size_t Request::count_headers(std::string_view name) const {
  std::size_t count = 0;
  for (const Header& header : headers()) {
    if (iequals(header.name, name)) ++count;
  }
  return count;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool has_token(std::string_view list, std::string_view token) {
  // RFC 9110 §5.6.1: elements are separated by commas with optional whitespace, and empty
  // elements ("a, ,b") must be tolerated.
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && iequals(element, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace hybrid::http

#include "hybrid/http/query.h"

namespace hybrid::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view text, std::string& out, bool plus_is_space) {
  out.reserve(out.size() + text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return false;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return false;
      c = static_cast<char>(high * 16 + low);
      if (c == '\0') return false;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out.push_back(c);
  }
  return true;
}

std::optional<std::string> find_query_parameter(std::string_view query, std::string_view name) {
  std::string decoded_name;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    decoded_name.clear();
    if (!percent_decode(pair.substr(0, equals), decoded_name, true) || decoded_name != name) {
      continue;
    }
    std::string value;
    if (equals != std::string_view::npos && !percent_decode(pair.substr(equals + 1), value, true)) {
      return std::nullopt;
    }
    return value;
  }
  return std::nullopt;
}

}  // namespace hybrid::http

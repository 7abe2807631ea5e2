#include "hybrid/http/content_coding.h"

#include <algorithm>

#include "hybrid/http/request.h"
#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

// Weights are in thousandths (q=0.5 is 500); kUnnamed marks a coding the header does not name.
constexpr int kUnnamed = -1;
constexpr int kMaxWeight = 1000;

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )  (RFC 9110 §12.4.2)
constexpr int parse_qvalue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return kUnnamed;
  int weight = (text[0] - '0') * kMaxWeight;
  if (text.size() == 1) return weight;
  if (text[1] != '.') return kUnnamed;
  int scale = 100;
  for (char c : text.substr(2)) {
    if (!is_digit(c)) return kUnnamed;
    weight += (c - '0') * scale;
    scale /= 10;
  }
  return weight <= kMaxWeight ? weight : kUnnamed;
}

struct Weights {
  int brotli = kUnnamed;
  int gzip = kUnnamed;
  int identity = kUnnamed;
  int any = kUnnamed;  // "*"
};

// Records one list element ("gzip", "br;q=0.8"); malformed elements change nothing.
void record(std::string_view element, Weights& weights) {
  const std::size_t semicolon = element.find(';');
  const std::string_view name = trim_ows(element.substr(0, semicolon));
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) return;
  int weight = kMaxWeight;
  if (semicolon != std::string_view::npos) {
    // weight = OWS ";" OWS "q=" qvalue: exactly one parameter, and it is q.
    const std::string_view parameter = trim_ows(element.substr(semicolon + 1));
    if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') ||
        parameter[1] != '=') {
      return;
    }
    weight = parse_qvalue(parameter.substr(2));
    if (weight == kUnnamed) return;
  }
  int* slot = nullptr;
  if (iequals(name, "br")) {
    slot = &weights.brotli;
  } else if (iequals(name, "gzip") || iequals(name, "x-gzip")) {
    slot = &weights.gzip;
  } else if (iequals(name, "identity")) {
    slot = &weights.identity;
  } else if (name == "*") {
    slot = &weights.any;
  }
  if (slot != nullptr && *slot == kUnnamed) *slot = weight;
}

// A coding named explicitly has its own weight; otherwise "*" speaks for it, if present.
constexpr int effective(int named, int any) {
  if (named != kUnnamed) return named;
  return any != kUnnamed ? any : 0;
}

void record_list(std::string_view list, Weights& weights) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) record(element, weights);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::optional<Coding> choose(const Weights& weights, AvailableCodings available) {
  // identity neither named nor covered by "*" is acceptable (§12.5.3) but ranks below every
  // acceptable coding: weight 1 ties with q=0.001, and ties go to the coding.
  const int identity = weights.identity != kUnnamed ? weights.identity
                       : weights.any != kUnnamed    ? weights.any
                                                    : 1;
  Coding best = Coding::kIdentity;
  int best_weight = identity;
  if (available.gzip && effective(weights.gzip, weights.any) >= best_weight) {
    best = Coding::kGzip;
    best_weight = effective(weights.gzip, weights.any);
  }
  if (available.brotli && effective(weights.brotli, weights.any) >= best_weight) {
    best = Coding::kBrotli;
    best_weight = effective(weights.brotli, weights.any);
  }
  if (best_weight == 0) return std::nullopt;  // q=0 is "not acceptable" (§12.4.2)
  return best;
}

}  // namespace

std::optional<Coding> choose_coding(std::optional<std::string_view> accept_encoding,
                                    AvailableCodings available) {
  if (!accept_encoding) return Coding::kIdentity;
  Weights weights;
  record_list(*accept_encoding, weights);
  return choose(weights, available);
}

std::optional<Coding> choose_coding(const Request& request, AvailableCodings available) {
  Weights weights;
  bool present = false;
  for (const Header& header : request.headers()) {
    if (!iequals(header.name, "Accept-Encoding")) continue;
    present = true;
    record_list(header.value, weights);
  }
  if (!present) return Coding::kIdentity;
  return choose(weights, available);
}

std::string_view coding_token(Coding coding) {
  switch (coding) {
    case Coding::kGzip:
      return "gzip";
    case Coding::kBrotli:
      return "br";
    case Coding::kIdentity:
      break;
  }
  return "";
}

std::string_view coding_suffix(Coding coding) {
  switch (coding) {
    case Coding::kGzip:
      return ".gz";
    case Coding::kBrotli:
      return ".br";
    case Coding::kIdentity:
      break;
  }
  return "";
}

}  // namespace hybrid::http

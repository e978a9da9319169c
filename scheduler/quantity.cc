#include "scheduler/quantity.h"

#include <array>
#include <cerrno>
#include <limits>
#include <utility>

namespace skiff::scheduler {

using common::Error;
using common::Result;

namespace {

using u128 = unsigned __int128;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
// 20 significant digits keep N x 2^60 below 2^128, and anything past them is below the
// rounding unit whenever the result fits in an int64 (see parse_quantity).
constexpr size_t kMaxDigits = 20;
// Exponents beyond this make any non-zero value overflow or round up to one unit.
constexpr int kMaxExponent = 100;

struct Suffix {
  int binary_shift = 0;  ///< power of 2
  int decimal_exp = 0;   ///< power of 10
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Error bad(std::string_view text, const std::string& what) {
  return Error("quantity \"" + std::string(text) + "\": " + what, EINVAL);
}

Result<Suffix> parse_suffix(std::string_view text, std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, int>, 6> kBinary{
      {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}}};
  static constexpr std::array<std::pair<std::string_view, int>, 10> kDecimal{{{"", 0},
                                                                              {"n", -9},
                                                                              {"u", -6},
                                                                              {"m", -3},
                                                                              {"k", 3},
                                                                              {"M", 6},
                                                                              {"G", 9},
                                                                              {"T", 12},
                                                                              {"P", 15},
                                                                              {"E", 18}}};
  for (const auto& [name, shift] : kBinary)
    if (s == name) return Suffix{shift, 0};
  for (const auto& [name, exp] : kDecimal)
    if (s == name) return Suffix{0, exp};
  if (s.size() >= 2 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view e = s.substr(1);
    bool negative = e[0] == '-';
    if (e[0] == '+' || e[0] == '-') e.remove_prefix(1);
    if (e.empty()) return bad(text, "unknown suffix \"" + std::string(s) + "\"");
    int value = 0;
    for (char c : e) {
      if (!is_digit(c)) return bad(text, "unknown suffix \"" + std::string(s) + "\"");
      if (value <= kMaxExponent) value = value * 10 + (c - '0');
    }
    return Suffix{0, negative ? -value : value};
  }
  return bad(text, "unknown suffix \"" + std::string(s) + "\"");
}

}  // namespace

Result<int64_t> parse_quantity(std::string_view text, int decimal_scale) {
  if (text.empty()) return bad(text, "expected a number with an optional suffix such as 500m, 64Mi or 1e3");
  size_t pos = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++pos;
  }
  std::string digits;
  size_t fraction_digits = 0;
  bool seen_point = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (is_digit(c)) {
      digits.push_back(c);
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return bad(text, "expected a number with an optional suffix such as 500m, 64Mi or 1e3");
  auto suffix = parse_suffix(text, text.substr(pos));
  if (!suffix) return std::move(suffix).error();

  // value = N x 2^binary_shift x 10^exp, in units of 10^decimal_scale.
  int exp = suffix->decimal_exp - static_cast<int>(fraction_digits) - decimal_scale;
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return int64_t{0};
  digits.erase(0, first);
  while (digits.back() == '0') {
    digits.pop_back();
    ++exp;
  }
  // Digits past kMaxDigits only matter for rounding: they make the value strictly larger.
  bool sticky = false;
  if (digits.size() > kMaxDigits) {
    exp += static_cast<int>(digits.size() - kMaxDigits);
    digits.resize(kMaxDigits);
    sticky = true;
  }
  u128 n = 0;
  for (char c : digits) n = n * 10 + static_cast<unsigned>(c - '0');

  u128 magnitude = 0;
  bool inexact = sticky;
  if (exp >= 0) {
    // With 20 significant digits N >= 10^19 already exceeds int64, so sticky never gets here
    // with a value in range.
    if (exp > kMaxExponent) return bad(text, "out of range");
    magnitude = n;
    for (int i = 0; i < exp; ++i) {
      magnitude *= 10;
      if (magnitude > static_cast<u128>(kMax)) return bad(text, "out of range");
    }
    magnitude <<= suffix->binary_shift;
    if (magnitude > static_cast<u128>(kMax)) return bad(text, "out of range");
  } else {
    u128 numerator = n << suffix->binary_shift;
    if (-exp > 38) {  // 10^39 exceeds any numerator: the quotient is 0, the rest non-zero
      inexact = true;
    } else {
      u128 denominator = 1;
      for (int i = 0; i < -exp; ++i) denominator *= 10;
      magnitude = numerator / denominator;
      inexact = inexact || numerator % denominator != 0;
    }
  }
  // Round towards +infinity: up for positive values, towards zero for negative ones.
  if (inexact && !negative) ++magnitude;
  if (magnitude > static_cast<u128>(kMax)) return bad(text, "out of range");
  auto value = static_cast<int64_t>(magnitude);
  return negative ? -value : value;
}

std::string format_decimal(int64_t units, int decimal_scale) {
  if (units == 0) return "0";
  static constexpr std::array<std::pair<int, std::string_view>, 10> kSuffixes{{{-9, "n"},
                                                                               {-6, "u"},
                                                                               {-3, "m"},
                                                                               {0, ""},
                                                                               {3, "k"},
                                                                               {6, "M"},
                                                                               {9, "G"},
                                                                               {12, "T"},
                                                                               {15, "P"},
                                                                               {18, "E"}}};
  int exp = decimal_scale;
  while (units % 1000 == 0 && exp + 3 <= 18) {
    units /= 1000;
    exp += 3;
  }
  for (const auto& [e, name] : kSuffixes)
    if (e == exp) return std::to_string(units) + std::string(name);
  return std::to_string(units) + "e" + std::to_string(exp);
}

std::string format_bytes(int64_t bytes) {
  std::string decimal = format_decimal(bytes, 0);
  static constexpr std::array<std::string_view, 6> kBinary{"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int64_t v = bytes;
  size_t k = 0;
  while (v != 0 && v % 1024 == 0 && k < kBinary.size()) {
    v /= 1024;
    ++k;
  }
  if (k == 0) return decimal;
  std::string binary = std::to_string(v) + std::string(kBinary[k - 1]);
  return binary.size() <= decimal.size() ? binary : decimal;
}

}  // namespace skiff::scheduler

#include "api/quantity.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"

namespace ty::api {
namespace {

// Beyond 18 significant digits the mantissa would not fit the 128-bit
// arithmetic below once multiplied by a binary suffix.
constexpr int kMaxSignificantDigits = 18;
constexpr int kMaxExponent = 100;

// A quantity as written: mantissa * 10^exponent10 * 2^exponent2.
struct Decomposed {
  __int128 mantissa = 0;
  int exponent10 = 0;
  int exponent2 = 0;
  std::string_view suffix;
};

struct Suffix {
  std::string_view text;
  int exponent10;
  int exponent2;
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"", 0, 0},    {"k", 3, 0},   {"M", 6, 0},
    {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},
};

constexpr std::string_view kSyntax =
    "use a number with an optional suffix (m, k, M, G, T, Ki, Mi, Gi, Ti), such as '500m', '2', "
    "'16Gi'";

// Suffixes people write that Kubernetes does not accept, with the fix.
std::optional<std::string> SuggestSuffix(std::string_view suffix) {
  struct Hint {
    std::string_view wrong;
    std::string_view binary;
    std::string_view decimal;
  };
  constexpr Hint kHints[] = {
      {"K", "Ki", "k"},   {"KB", "Ki", "k"},  {"kB", "Ki", "k"},  {"Kb", "Ki", "k"},
      {"MB", "Mi", "M"},  {"Mb", "Mi", "M"},  {"GB", "Gi", "G"},  {"Gb", "Gi", "G"},
      {"g", "Gi", "G"},   {"TB", "Ti", "T"},  {"Tb", "Ti", "T"},  {"KiB", "Ki", "k"},
      {"MiB", "Mi", "M"}, {"GiB", "Gi", "G"}, {"TiB", "Ti", "T"}, {"mi", "Mi", "M"},
      {"gi", "Gi", "G"},  {"ki", "Ki", "k"},
  };
  for (const Hint& hint : kHints) {
    if (hint.wrong == suffix) {
      return fmt::format("use '{}' (powers of 1024) or '{}' (powers of 1000)", hint.binary,
                         hint.decimal);
    }
  }
  return std::nullopt;
}

absl::Status Malformed(std::string_view field, std::string_view text, std::string_view fix) {
  return InvalidField(field, fmt::format("invalid quantity '{}': {}", text, fix));
}

absl::StatusOr<Decomposed> Decompose(std::string_view field, std::string_view text) {
  if (text.empty()) return InvalidField(field, fmt::format("missing quantity: {}", kSyntax));
  if (text.front() == '-') {
    return InvalidField(field, fmt::format("negative quantity '{}': use 0 or more", text));
  }

  std::string_view rest = text;
  if (rest.front() == '+') rest.remove_prefix(1);

  // Mantissa: digits with at most one '.', leading zeros skipped.
  Decomposed result;
  int significant = 0;
  int fraction_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  while (!rest.empty() && (std::isdigit(static_cast<unsigned char>(rest.front())) ||
                           rest.front() == '.')) {
    char c = rest.front();
    rest.remove_prefix(1);
    if (c == '.') {
      if (seen_point) return Malformed(field, text, kSyntax);
      seen_point = true;
      continue;
    }
    seen_digit = true;
    if (seen_point) ++fraction_digits;
    if (significant == 0 && c == '0') continue;
    if (++significant > kMaxSignificantDigits) {
      return Malformed(field, text, "use at most 18 significant digits");
    }
    result.mantissa = result.mantissa * 10 + (c - '0');
  }
  if (!seen_digit) return Malformed(field, text, kSyntax);
  result.exponent10 = -fraction_digits;

  // A suffix, or else a decimal exponent ("1e3", "5E-2"). "E" alone is exa.
  result.suffix = rest;
  for (const Suffix& suffix : kSuffixes) {
    if (suffix.text == rest) {
      result.exponent10 += suffix.exponent10;
      result.exponent2 = suffix.exponent2;
      return result;
    }
  }
  if (rest.size() > 1 && (rest.front() == 'e' || rest.front() == 'E')) {
    std::string_view digits = rest.substr(1);
    bool negative = digits.front() == '-';
    if (digits.front() == '-' || digits.front() == '+') digits.remove_prefix(1);
    if (digits.empty()) return Malformed(field, text, kSyntax);
    int exponent = 0;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || exponent > kMaxExponent) {
        return Malformed(field, text, kSyntax);
      }
      exponent = exponent * 10 + (c - '0');
    }
    result.exponent10 += negative ? -exponent : exponent;
    return result;
  }
  std::optional<std::string> hint = SuggestSuffix(rest);
  if (hint) return Malformed(field, text, fmt::format("unknown suffix '{}': {}", rest, *hint));
  return Malformed(field, text, fmt::format("unknown suffix '{}': {}", rest, kSyntax));
}

// Returns ceil(mantissa * 10^(exponent10 + scale10) * 2^exponent2), or
// nullopt when the result does not fit in int64_t.
std::optional<int64_t> ToUnits(const Decomposed& quantity, int scale10) {
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  __int128 value = quantity.mantissa << quantity.exponent2;
  int exponent = quantity.exponent10 + scale10;
  if (value == 0) return 0;

  for (; exponent > 0; --exponent) {
    value *= 10;
    if (value > kMax) return std::nullopt;
  }
  // Divide with rounding up, as Kubernetes rounds sub-unit fractions up.
  __int128 divisor = 1;
  for (; exponent < 0 && divisor <= value; ++exponent) divisor *= 10;
  if (exponent < 0) return 1;
  value = (value + divisor - 1) / divisor;
  if (value > kMax) return std::nullopt;
  return static_cast<int64_t>(value);
}

absl::StatusOr<int64_t> ParseScaled(std::string_view field, std::string_view text, int scale10) {
  absl::StatusOr<Decomposed> quantity = Decompose(field, text);
  if (!quantity.ok()) return quantity.status();
  std::optional<int64_t> units = ToUnits(*quantity, scale10);
  if (!units) return Malformed(field, text, "the value is too large");
  return *units;
}

}  // namespace

absl::StatusOr<int64_t> ParseCpuMillis(std::string_view field, std::string_view text) {
  return ParseScaled(field, text, 3);
}

absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view field, std::string_view text) {
  absl::StatusOr<Decomposed> quantity = Decompose(field, text);
  if (!quantity.ok()) return quantity.status();

  // Kubernetes reads "500m" of memory as half a byte, which is never what a
  // user means, so the sub-unit suffixes are rejected for memory.
  std::string_view suffix = quantity->suffix;
  if (suffix == "m" || suffix == "u" || suffix == "n") {
    std::string number(text.substr(0, text.size() - 1));
    return Malformed(field, text,
                     fmt::format("'{}' means a fraction of a byte: use '{}Mi' (mebibytes) or "
                                 "'{}M' (megabytes)",
                                 suffix, number, number));
  }
  return ParseScaled(field, text, 0);
}

absl::StatusOr<int64_t> ParseCount(std::string_view field, std::string_view text) {
  if (text.empty()) return InvalidField(field, "missing count: use a whole number such as 1");
  if (text.front() == '-') {
    return InvalidField(field, fmt::format("negative count '{}': use 0 or more", text));
  }
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidField(field,
                          fmt::format("invalid count '{}': use a whole number such as 1", text));
    }
    if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) {
      return InvalidField(field, fmt::format("invalid count '{}': the value is too large", text));
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string FormatCpuMillis(int64_t millis) {
  if (millis % 1000 == 0) return fmt::format("{}", millis / 1000);
  return fmt::format("{}m", millis);
}

std::string FormatMemoryBytes(int64_t bytes) {
  if (bytes == 0) return "0";

  // Each form takes its largest exact suffix and the shorter form wins, so
  // 16Gi stays "16Gi" and 2000000000 becomes "2G".
  std::string binary = fmt::format("{}", bytes);
  for (int i = 5; i >= 0; --i) {
    int64_t unit = int64_t{1} << (10 * (i + 1));
    if (bytes % unit == 0) {
      binary = fmt::format("{}{}", bytes / unit, kSuffixes[i].text);
      break;
    }
  }
  std::string decimal = fmt::format("{}", bytes);
  constexpr std::string_view kDecimalSuffixes[] = {"k", "M", "G", "T", "P", "E"};
  int64_t unit = 1;
  for (int i = 0; i < 6; ++i) {
    unit *= 1000;
    if (bytes % unit != 0) break;
    decimal = fmt::format("{}{}", bytes / unit, kDecimalSuffixes[i]);
  }
  return decimal.size() < binary.size() ? decimal : binary;
}

}  // namespace ty::api

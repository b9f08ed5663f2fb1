#include "server/mlflow_search.h"

#include <cctype>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "common/errors.h"

namespace ty::server {
namespace {

// Reads one filter or order_by entry left to right.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpaces() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_]))) {
      ++position_;
    }
  }
  bool AtEnd() {
    SkipSpaces();
    return position_ >= text_.size();
  }
  char Peek() { return AtEnd() ? '\0' : text_[position_]; }
  std::string_view Rest() const { return text_.substr(position_); }

  // A bare word of letters, digits and `_ . - / :`.
  std::string Word() {
    SkipSpaces();
    size_t start = position_;
    while (position_ < text_.size()) {
      char c = text_[position_];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
          c != '/' && c != ':') {
        break;
      }
      ++position_;
    }
    return std::string(text_.substr(start, position_ - start));
  }

  // A string quoted with `quote`, the opening quote not yet consumed.
  std::optional<std::string> Quoted() {
    SkipSpaces();
    char quote = text_[position_];
    size_t end = text_.find(quote, position_ + 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(text_.substr(position_ + 1, end - position_ - 1));
    position_ = end + 1;
    return value;
  }

  std::string Operator() {
    SkipSpaces();
    for (std::string_view op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (text_.substr(position_, op.size()) == op) {
        position_ += op.size();
        return std::string(op);
      }
    }
    std::string word = absl::AsciiStrToUpper(Word());
    return word == "LIKE" || word == "ILIKE" ? word : "";
  }

 private:
  std::string_view text_;
  size_t position_ = 0;
};

absl::Status FilterError(std::string_view what, std::string_view at) {
  return InvalidField("filter", fmt::format("invalid filter: {} at '{}': write clauses such as "
                                            "metrics.acc > 0.9 AND params.lr = '0.01'",
                                            what, at.substr(0, 40)));
}

// Reads `<entity>.<key>` or an attribute name.
bool ReadIdentifier(Scanner& scanner, SearchEntity* entity, std::string* key) {
  std::string word = scanner.Word();
  std::string prefix = absl::AsciiStrToLower(word.substr(0, word.find('.')));
  *entity = SearchEntity::kAttribute;
  bool has_entity = true;
  if (prefix == "metrics" || prefix == "metric") {
    *entity = SearchEntity::kMetric;
  } else if (prefix == "params" || prefix == "param" || prefix == "parameter" ||
             prefix == "parameters") {
    *entity = SearchEntity::kParam;
  } else if (prefix == "tags" || prefix == "tag") {
    *entity = SearchEntity::kTag;
  } else if (prefix != "attributes" && prefix != "attribute") {
    has_entity = false;
  }
  if (!has_entity) {
    *key = word;
    return !key->empty();
  }
  if (word.size() > prefix.size() + 1) {
    *key = word.substr(prefix.size() + 1);
    return true;
  }
  // "tags." followed by a quoted key.
  char quote = scanner.Peek();
  if (word.size() != prefix.size() + 1 || (quote != '"' && quote != '`')) return false;
  std::optional<std::string> quoted = scanner.Quoted();
  if (!quoted || quoted->empty()) return false;
  *key = *quoted;
  return true;
}

std::optional<double> Number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  double number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

// SQL LIKE: '%' matches any run of characters, '_' any one character.
bool Like(std::string_view text, std::string_view pattern) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '%') {
    for (size_t skip = 0; skip <= text.size(); ++skip) {
      if (Like(text.substr(skip), pattern.substr(1))) return true;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern.front() != '_' && pattern.front() != text.front()) return false;
  return Like(text.substr(1), pattern.substr(1));
}

template <typename T>
bool Compare(const T& left, std::string_view op, const T& right) {
  if (op == "=") return left == right;
  if (op == "!=") return left != right;
  if (op == "<") return left < right;
  if (op == "<=") return left <= right;
  if (op == ">") return left > right;
  return left >= right;
}

std::optional<nlohmann::json> Lookup(const SearchFacts& facts, SearchEntity entity,
                                     const std::string& key) {
  switch (entity) {
    case SearchEntity::kMetric:
      if (auto it = facts.metrics.find(key); it != facts.metrics.end()) return it->second;
      return std::nullopt;
    case SearchEntity::kParam:
      if (auto it = facts.params.find(key); it != facts.params.end()) return it->second;
      return std::nullopt;
    case SearchEntity::kTag:
      if (auto it = facts.tags.find(key); it != facts.tags.end()) return it->second;
      return std::nullopt;
    case SearchEntity::kAttribute:
      if (auto it = facts.attributes.find(key); it != facts.attributes.end()) return it->second;
      return std::nullopt;
  }
  return std::nullopt;
}

bool Matches(const nlohmann::json& actual, const SearchClause& clause) {
  if (clause.op == "LIKE" || clause.op == "ILIKE") {
    if (!actual.is_string() || !clause.value.is_string()) return false;
    std::string text = actual.get<std::string>();
    std::string pattern = clause.value.get<std::string>();
    if (clause.op == "ILIKE") {
      absl::AsciiStrToLower(&text);
      absl::AsciiStrToLower(&pattern);
    }
    return Like(text, pattern);
  }
  std::optional<double> left = Number(actual);
  std::optional<double> right = Number(clause.value);
  bool numeric = clause.entity == SearchEntity::kMetric ||
                 (actual.is_number() && clause.value.is_number());
  if (numeric) return left && right && Compare(*left, clause.op, *right);
  std::string left_text = actual.is_string() ? actual.get<std::string>() : actual.dump();
  std::string right_text =
      clause.value.is_string() ? clause.value.get<std::string>() : clause.value.dump();
  return Compare(left_text, clause.op, right_text);
}

}  // namespace

absl::StatusOr<std::vector<SearchClause>> ParseSearchFilter(std::string_view filter) {
  std::vector<SearchClause> clauses;
  Scanner scanner(filter);
  while (!scanner.AtEnd()) {
    SearchClause clause;
    std::string_view at = scanner.Rest();
    if (!ReadIdentifier(scanner, &clause.entity, &clause.key)) {
      return FilterError("expected a key such as metrics.acc or params.lr", at);
    }
    clause.op = scanner.Operator();
    if (clause.op.empty()) return FilterError("expected =, !=, <, <=, >, >=, LIKE or ILIKE", at);
    char quote = scanner.Peek();
    if (quote == '\'' || quote == '"') {
      std::optional<std::string> value = scanner.Quoted();
      if (!value) return FilterError("unterminated string", at);
      clause.value = *value;
    } else {
      std::string word = scanner.Word();
      std::optional<double> number = Number(word);
      if (!number) return FilterError("expected a quoted string or a number", at);
      clause.value = *number;
    }
    clauses.push_back(std::move(clause));
    if (scanner.AtEnd()) break;
    std::string_view before_and = scanner.Rest();
    if (absl::AsciiStrToUpper(scanner.Word()) != "AND") {
      return FilterError("expected AND between clauses", before_and);
    }
  }
  return clauses;
}

bool MatchesFilter(const SearchFacts& facts, const std::vector<SearchClause>& clauses) {
  for (const SearchClause& clause : clauses) {
    std::optional<nlohmann::json> actual = Lookup(facts, clause.entity, clause.key);
    if (!actual || !Matches(*actual, clause)) return false;
  }
  return true;
}

absl::StatusOr<std::vector<SearchOrder>> ParseSearchOrder(const std::vector<std::string>& entries) {
  std::vector<SearchOrder> order;
  for (const std::string& entry : entries) {
    Scanner scanner(entry);
    SearchOrder key;
    if (!ReadIdentifier(scanner, &key.entity, &key.key)) {
      return InvalidField("order_by", fmt::format("invalid order_by '{}': use a key such as "
                                                  "metrics.acc DESC or start_time ASC",
                                                  entry));
    }
    std::string direction = absl::AsciiStrToUpper(scanner.Word());
    if (direction == "DESC") key.ascending = false;
    if ((!direction.empty() && direction != "ASC" && direction != "DESC") || !scanner.AtEnd()) {
      return InvalidField("order_by", fmt::format("invalid order_by '{}': end it with ASC or "
                                                  "DESC",
                                                  entry));
    }
    order.push_back(std::move(key));
  }
  return order;
}

bool ComesBefore(const SearchFacts& left, const SearchFacts& right,
                 const std::vector<SearchOrder>& order) {
  for (const SearchOrder& key : order) {
    std::optional<nlohmann::json> a = Lookup(left, key.entity, key.key);
    std::optional<nlohmann::json> b = Lookup(right, key.entity, key.key);
    if (!a && !b) continue;
    if (!a || !b) return a.has_value();  // missing values last
    std::optional<double> a_number = Number(*a);
    std::optional<double> b_number = Number(*b);
    bool numeric = key.entity == SearchEntity::kMetric || (a->is_number() && b->is_number());
    if (numeric && a_number && b_number) {
      if (*a_number == *b_number) continue;
      return key.ascending == (*a_number < *b_number);
    }
    std::string a_text = a->is_string() ? a->get<std::string>() : a->dump();
    std::string b_text = b->is_string() ? b->get<std::string>() : b->dump();
    if (a_text == b_text) continue;
    return key.ascending == (a_text < b_text);
  }
  return false;
}

}  // namespace ty::server

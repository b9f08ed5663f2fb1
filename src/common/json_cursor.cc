#include "common/json_cursor.h"

#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "common/status_macros.h"

namespace ty {
namespace {

constexpr int kMaxDepth = 64;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

}  // namespace

size_t FindJsonSpecial(std::string_view text, size_t from) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  // Whether any byte of `word` is zero, or below `limit` (at most 0x80):
  // exact tests, from the classic "determine if a word has a zero byte".
  auto has_below = [](uint64_t word, uint64_t limit) {
    return ((word - kOnes * limit) & ~word & kHighBits) != 0;
  };
  size_t i = from;
  while (i + 8 <= text.size()) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof(word));
    if (has_below(word, 0x20) || has_below(word ^ (kOnes * '"'), 1) ||
        has_below(word ^ (kOnes * '\\'), 1)) {
      break;
    }
    i += 8;
  }
  for (; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return text.size();
}

void AppendJsonEscaped(std::string& out, std::string_view text) {
  size_t run = 0;
  while (true) {
    size_t special = FindJsonSpecial(text, run);
    out.append(text.substr(run, special - run));
    if (special == text.size()) return;
    run = special + 1;
    unsigned char c = static_cast<unsigned char>(text[special]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += fmt::format("\\u{:04x}", c); break;
    }
  }
}

bool IsMalformedJson(const absl::Status& status) {
  return status.GetPayload(kMalformedJsonPayloadUrl).has_value();
}

void JsonCursor::SkipWhitespace() {
  while (position_ < text_.size()) {
    char c = text_[position_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++position_;
  }
}

char JsonCursor::Peek() {
  SkipWhitespace();
  return position_ < text_.size() ? text_[position_] : '\0';
}

bool JsonCursor::ConsumeIf(char c) {
  if (Peek() != c) return false;
  ++position_;
  return true;
}

absl::Status JsonCursor::Expect(char c) {
  if (ConsumeIf(c)) return absl::OkStatus();
  return SyntaxError(fmt::format("'{}'", c));
}

absl::StatusOr<std::string_view> JsonCursor::String(std::string& storage) {
  if (Peek() != '"') return SyntaxError("a string");
  size_t start = ++position_;

  // Fast path: no escapes, so the token is a view into the text.
  position_ = FindJsonSpecial(text_, position_);
  if (position_ < text_.size()) {
    char c = text_[position_];
    if (c == '"') return text_.substr(start, position_++ - start);
    if (c != '\\') return SyntaxError("no control character in a string");
  }

  storage.assign(text_.substr(start, position_ - start));
  while (position_ < text_.size()) {
    char c = text_[position_++];
    if (c == '"') return std::string_view(storage);
    if (static_cast<unsigned char>(c) < 0x20) return SyntaxError("no control character in a string");
    if (c != '\\') {
      storage += c;
      continue;
    }
    if (position_ >= text_.size()) break;
    char escape = text_[position_++];
    switch (escape) {
      case '"': storage += '"'; break;
      case '\\': storage += '\\'; break;
      case '/': storage += '/'; break;
      case 'b': storage += '\b'; break;
      case 'f': storage += '\f'; break;
      case 'n': storage += '\n'; break;
      case 'r': storage += '\r'; break;
      case 't': storage += '\t'; break;
      case 'u': {
        auto read_hex = [this](uint32_t* value) {
          if (position_ + 4 > text_.size()) return false;
          *value = 0;
          for (int i = 0; i < 4; ++i) {
            int digit = HexValue(text_[position_++]);
            if (digit < 0) return false;
            *value = *value * 16 + digit;
          }
          return true;
        };
        uint32_t code_point = 0;
        if (!read_hex(&code_point)) return SyntaxError("four hex digits after \\u");
        // A high surrogate must be followed by an escaped low surrogate.
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {
          uint32_t low = 0;
          if (text_.substr(position_, 2) != "\\u") return SyntaxError("a low surrogate escape");
          position_ += 2;
          if (!read_hex(&low) || low < 0xDC00 || low > 0xDFFF) {
            return SyntaxError("a low surrogate escape");
          }
          code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
        } else if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
          return SyntaxError("a high surrogate before a low one");
        }
        AppendUtf8(storage, code_point);
        break;
      }
      default:
        return SyntaxError("a valid escape after '\\'");
    }
  }
  return SyntaxError("the closing '\"' of a string");
}

absl::StatusOr<std::string_view> JsonCursor::Number() {
  SkipWhitespace();
  size_t start = position_;
  auto digits = [this] {
    size_t first = position_;
    while (position_ < text_.size() && IsDigit(text_[position_])) ++position_;
    return position_ - first;
  };
  if (position_ < text_.size() && text_[position_] == '-') ++position_;
  if (position_ < text_.size() && text_[position_] == '0') {
    ++position_;
  } else if (digits() == 0) {
    return SyntaxError("a number");
  }
  if (position_ < text_.size() && text_[position_] == '.') {
    ++position_;
    if (digits() == 0) return SyntaxError("a digit after '.'");
  }
  if (position_ < text_.size() && (text_[position_] == 'e' || text_[position_] == 'E')) {
    ++position_;
    if (position_ < text_.size() && (text_[position_] == '+' || text_[position_] == '-')) {
      ++position_;
    }
    if (digits() == 0) return SyntaxError("a digit in the exponent");
  }
  return text_.substr(start, position_ - start);
}

absl::StatusOr<std::string_view> JsonCursor::Literal() {
  SkipWhitespace();
  for (std::string_view word : {"true", "false", "null"}) {
    if (text_.substr(position_, word.size()) == word) {
      position_ += word.size();
      return word;
    }
  }
  return SyntaxError("a value");
}

absl::Status JsonCursor::SkipValue() { return SkipValue(0); }

absl::Status JsonCursor::SkipValue(int depth) {
  if (depth > kMaxDepth) return SyntaxError(fmt::format("at most {} nested levels", kMaxDepth));
  char c = Peek();
  std::string storage;
  if (c == '"') return String(storage).status();
  if (c == '-' || IsDigit(c)) return Number().status();
  if (c == '{') {
    ++position_;
    if (ConsumeIf('}')) return absl::OkStatus();
    do {
      RETURN_IF_ERROR(String(storage).status());
      RETURN_IF_ERROR(Expect(':'));
      RETURN_IF_ERROR(SkipValue(depth + 1));
    } while (ConsumeIf(','));
    return Expect('}');
  }
  if (c == '[') {
    ++position_;
    if (ConsumeIf(']')) return absl::OkStatus();
    do {
      RETURN_IF_ERROR(SkipValue(depth + 1));
    } while (ConsumeIf(','));
    return Expect(']');
  }
  return Literal().status();
}

absl::Status JsonCursor::ExpectEnd() {
  if (Peek() == '\0' && position_ >= text_.size()) return absl::OkStatus();
  return SyntaxError("the end of the text");
}

absl::Status JsonCursor::SyntaxError(std::string_view expected) const {
  std::string found = "the end of the text";
  if (position_ < text_.size()) {
    unsigned char c = static_cast<unsigned char>(text_[position_]);
    found = c >= 0x20 && c < 0x7F ? fmt::format("'{}'", static_cast<char>(c))
                                  : fmt::format("byte 0x{:02x}", c);
  }
  absl::Status status = absl::InvalidArgumentError(
      fmt::format("request body is not valid JSON: byte {}: expected {} but found {}: send a "
                  "JSON object",
                  position_ + 1, expected, found));
  status.SetPayload(kMalformedJsonPayloadUrl, absl::Cord("true"));
  return status;
}

}  // namespace ty

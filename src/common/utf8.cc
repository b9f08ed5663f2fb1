#include "common/utf8.h"

#include <cstdint>
#include <cstring>

namespace ty {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Returns the length of the valid UTF-8 sequence at `bytes[i]`, or 0 when
// the sequence there is invalid.
size_t ValidSequenceLength(std::string_view bytes, size_t i) {
  unsigned char lead = static_cast<unsigned char>(bytes[i]);
  if (lead < 0x80) return 1;

  size_t length = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > bytes.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    unsigned char byte = static_cast<unsigned char>(bytes[i + k]);
    if (!IsContinuation(byte)) return 0;
    code_point = (code_point << 6) | (byte & 0x3F);
  }

  // Overlong encodings, UTF-16 surrogates and values past U+10FFFF are invalid.
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinForLength[length]) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  if (code_point > 0x10FFFF) return 0;
  return length;
}

// Returns the length of the ASCII run at `bytes[i]`. Job output is mostly
// ASCII, so runs are checked eight bytes at a time.
size_t AsciiRunLength(std::string_view bytes, size_t i) {
  size_t start = i;
  while (i + 8 <= bytes.size()) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, sizeof(word));
    if (word & 0x8080808080808080ull) break;
    i += 8;
  }
  while (i < bytes.size() && static_cast<unsigned char>(bytes[i]) < 0x80) ++i;
  return i - start;
}

}  // namespace

std::string SanitizeUtf8(std::string_view bytes) {
  std::string result;
  result.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t ascii = AsciiRunLength(bytes, i);
    result.append(bytes.substr(i, ascii));
    i += ascii;
    if (i == bytes.size()) break;

    size_t length = ValidSequenceLength(bytes, i);
    if (length == 0) {
      result.append(kReplacement);
      ++i;
      continue;
    }
    result.append(bytes.substr(i, length));
    i += length;
  }
  return result;
}

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    i += AsciiRunLength(bytes, i);
    if (i == bytes.size()) break;
    size_t length = ValidSequenceLength(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace ty

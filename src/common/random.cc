#include "common/random.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

namespace ty {

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    // The CSPRNG failing means the process cannot mint credentials safely.
    std::abort();
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char byte : buffer) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

std::string NewId() { return RandomHex(6); }

}  // namespace ty

#include "executors/kubernetes/naming.h"

#include <cctype>

#include <fmt/format.h>

#include "common/sha256.h"

namespace ty::executors::kubernetes {
namespace {

constexpr size_t kMaxReadablePart = 40;

// Keeps lowercase letters, digits and single dashes.
std::string DnsPart(std::string_view text) {
  std::string out;
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool keep = std::isalnum(static_cast<unsigned char>(lower)) != 0;
    if (keep) {
      out.push_back(lower);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
    if (out.size() >= kMaxReadablePart) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

JobNames NamesForJob(std::string_view job_id) {
  std::string_view last = job_id.substr(job_id.rfind('/') == std::string_view::npos
                                            ? 0
                                            : job_id.rfind('/') + 1);
  std::string readable = DnsPart(last);
  std::string hash = Sha256Hex(job_id).substr(0, 8);
  std::string name = readable.empty() ? fmt::format("ty-{}", hash)
                                      : fmt::format("ty-{}-{}", readable, hash);
  return JobNames{.job = name, .service = name, .code = name + "-code"};
}

std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    out.push_back(allowed ? c : '-');
    if (out.size() == 63) break;
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (!out.empty() && !alnum(out.front())) out.erase(out.begin());
  while (!out.empty() && !alnum(out.back())) out.pop_back();
  return out.empty() ? "x" : out;
}

std::string OwnedSelector(std::string_view owner) {
  return fmt::format("{}={},{}={}", kManagedByLabel, kManagedByValue, kOwnerLabel,
                     LabelValue(owner));
}

}  // namespace ty::executors::kubernetes

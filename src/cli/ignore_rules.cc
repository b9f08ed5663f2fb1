#include "cli/ignore_rules.h"

#include <fnmatch.h>

#include "absl/strings/str_split.h"
#include "cli/files.h"

namespace ty::cli {
namespace {

constexpr std::string_view kRuleFiles[] = {".amlignore", ".gitignore"};

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> segments;
  for (absl::string_view part : absl::StrSplit(absl::string_view(path.data(), path.size()), '/',
                                               absl::SkipEmpty())) {
    segments.emplace_back(part);
  }
  return segments;
}

// Matches pattern segments against path segments. "**" spans zero or more
// segments, and every other segment is a shell glob without '/'.
bool MatchSegments(const std::vector<std::string>& pattern, size_t p,
                   const std::vector<std::string>& path, size_t s) {
  if (p == pattern.size()) return s == path.size();
  if (pattern[p] == "**") {
    // A trailing "**" matches what is inside a folder, not the folder itself.
    size_t first = p + 1 == pattern.size() ? s + 1 : s;
    for (size_t next = first; next <= path.size(); ++next) {
      if (MatchSegments(pattern, p + 1, path, next)) return true;
    }
    return false;
  }
  if (s == path.size()) return false;
  if (fnmatch(pattern[p].c_str(), path[s].c_str(), 0) != 0) return false;
  return MatchSegments(pattern, p + 1, path, s + 1);
}

// Strips trailing blanks unless escaped with a backslash.
std::string_view TrimTrailingBlanks(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    if (line.size() >= 2 && line[line.size() - 2] == '\\') break;
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

void IgnoreRules::Add(std::string_view base, std::string_view text) {
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    std::string_view line = TrimTrailingBlanks(std::string_view(raw.data(), raw.size()));
    if (line.empty() || line.front() == '#') continue;
    Rule rule{.base = std::string(base)};
    if (line.front() == '!') {
      rule.negated = true;
      line.remove_prefix(1);
    } else if (line.starts_with("\\#") || line.starts_with("\\!")) {
      line.remove_prefix(1);
    }
    if (line.ends_with('/')) {
      rule.folders_only = true;
      while (line.ends_with('/')) line.remove_suffix(1);
    }
    // A slash at the start or in the middle ties the pattern to the rule
    // file's folder. A bare name matches at any depth below it.
    rule.anchored = line.find('/') != std::string_view::npos;
    rule.pattern = Segments(line);
    if (rule.pattern.empty()) continue;
    if (!rule.anchored) rule.pattern.insert(rule.pattern.begin(), "**");
    rules_.push_back(std::move(rule));
  }
}

absl::StatusOr<std::string> IgnoreRules::AddFolder(const std::filesystem::path& folder,
                                                   std::string_view base) {
  for (std::string_view name : kRuleFiles) {
    std::filesystem::path file = folder / name;
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) continue;
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    Add(base, *text);
    return std::string(name);
  }
  return std::string();
}

bool IgnoreRules::Excludes(std::string_view relative_path, bool is_folder) const {
  std::vector<std::string> path = Segments(relative_path);
  // The last matching rule decides, as in git.
  for (auto rule = rules_.rbegin(); rule != rules_.rend(); ++rule) {
    if (rule->folders_only && !is_folder) continue;
    std::vector<std::string> base = Segments(rule->base);
    if (path.size() <= base.size() || !std::equal(base.begin(), base.end(), path.begin())) continue;
    if (MatchSegments(rule->pattern, 0, path, base.size())) return !rule->negated;
  }
  return false;
}

}  // namespace ty::cli

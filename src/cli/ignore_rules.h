#pragma once

// The exclusion rules of a job's code folder, read from `.amlignore` or
// `.gitignore` files in gitignore syntax, so that a folder prepared for the
// cloud CLI uploads the same snapshot here.
//
// Each folder may contain one rule file: `.amlignore` when present, otherwise
// `.gitignore`. Its rules apply to that folder's subtree. Rules read later
// (deeper folders, later lines) take precedence, and `!pattern` re-includes.
// As in git, nothing inside an excluded folder can be re-included, because
// the packer never enters such a folder.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::cli {

class IgnoreRules {
 public:
  // Appends the rules of `text`, a rule file found in the code folder's
  // subfolder `base` ('/'-separated, relative to the code folder, "" for the
  // top). Blank lines and `#` comments are skipped.
  void Add(std::string_view base, std::string_view text);

  // Reads the rule file of `folder` (code-folder relative `base`) if it has
  // one. Returns the file's name ("" when it has none), or the read error.
  absl::StatusOr<std::string> AddFolder(const std::filesystem::path& folder, std::string_view base);

  // Whether `relative_path` ('/'-separated, relative to the code folder) is
  // excluded; `is_folder` matters for patterns ending in '/'.
  bool Excludes(std::string_view relative_path, bool is_folder) const;

 private:
  struct Rule {
    std::string base;                  // folder of the rule file, "" for the top
    std::vector<std::string> pattern;  // '/'-separated segments
    bool anchored = false;             // matches from `base`, not at any depth
    bool negated = false;
    bool folders_only = false;
  };
  std::vector<Rule> rules_;
};

}  // namespace ty::cli

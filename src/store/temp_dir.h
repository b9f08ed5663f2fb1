#pragma once

// A temporary folder for tests, removed with everything in it on destruction.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ty::store {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trainyard-test-XXXXXX").string();
    char* created = mkdtemp(pattern.data());
    if (created == nullptr) std::abort();  // tests cannot run without a scratch folder
    path_ = created;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ty::store

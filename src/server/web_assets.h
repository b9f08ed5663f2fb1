#pragma once

// The web page's files (index.html and the bundled scripts and styles under
// assets/), built by the `web` CMake target and installed in a folder beside
// the `trainyard` binary. The server reads them once at start, so no
// Node.js is needed at run time and a rebuilt bundle takes a restart.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ty::server {

struct WebAsset {
  std::string content_type;
  std::string body;
  // True for the bundler's content-hashed files: a new build gets a new
  // name, so browsers may keep them forever.
  bool immutable = false;
};

// The files of the web page by URL path ("/" for index.html,
// "/assets/app-3FJX2K7A.js").
class WebAssets {
 public:
  // Reads index.html and every regular file under assets/ in `dir`.
  // Errors: kNotFound when `dir` has no index.html; kInternal for an
  // unreadable file.
  static absl::StatusOr<WebAssets> Load(const std::filesystem::path& dir);

  // Returns the asset for `path`, or nullptr.
  const WebAsset* Find(std::string_view path) const;

  size_t size() const { return files_.size(); }

 private:
  std::map<std::string, WebAsset, std::less<>> files_;
};

// The content type for a file name's extension; application/octet-stream
// for an unknown one.
std::string_view ContentTypeFor(std::string_view file_name);

// The folder the web page is installed in by default: "web" beside the
// running executable.
std::filesystem::path DefaultWebDir();

}  // namespace ty::server

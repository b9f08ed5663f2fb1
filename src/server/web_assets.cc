#include "server/web_assets.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace ty::server {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::InternalError(fmt::format("read web asset '{}' failed", path.string()));
  }
  return contents.str();
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".map", "application/json"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (file_name.size() >= extension.size() &&
        file_name.substr(file_name.size() - extension.size()) == extension) {
      return type;
    }
  }
  return "application/octet-stream";
}

absl::StatusOr<WebAssets> WebAssets::Load(const fs::path& dir) {
  fs::path index = dir / "index.html";
  std::error_code error;
  if (!fs::is_regular_file(index, error)) {
    return absl::NotFoundError(fmt::format(
        "web page not found: '{}' does not exist; build it with `cmake --build build --target "
        "web` or pass --web-dir",
        index.string()));
  }
  WebAssets assets;
  auto read = [&](const fs::path& file, std::string url_path, bool immutable) -> absl::Status {
    absl::StatusOr<std::string> body = ReadFile(file);
    if (!body.ok()) return body.status();
    assets.files_[std::move(url_path)] =
        WebAsset{std::string(ContentTypeFor(file.filename().string())), *std::move(body),
                 immutable};
    return absl::OkStatus();
  };
  if (absl::Status status = read(index, "/", false); !status.ok()) return status;

  fs::path asset_dir = dir / "assets";
  if (fs::is_directory(asset_dir, error)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(asset_dir, error)) {
      if (!entry.is_regular_file()) continue;
      std::string name = entry.path().filename().string();
      if (absl::Status status = read(entry.path(), "/assets/" + name, true); !status.ok()) {
        return status;
      }
    }
  }
  if (error) {
    return absl::InternalError(
        fmt::format("list web assets in '{}' failed: {}", asset_dir.string(), error.message()));
  }
  return assets;
}

const WebAsset* WebAssets::Find(std::string_view path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

fs::path DefaultWebDir() {
  std::error_code error;
  fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) return "web";
  return executable.parent_path() / "web";
}

}  // namespace ty::server

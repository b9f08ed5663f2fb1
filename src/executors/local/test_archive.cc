#include "executors/local/test_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <fmt/format.h>

namespace ty::executors::local {

absl::Status WriteTarArchive(const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& files) {
  archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  if (path.ends_with(".gz")) archive_write_add_filter_gzip(writer);
  if (archive_write_open_filename(writer, path.c_str()) != ARCHIVE_OK) {
    std::string error = archive_error_string(writer);
    archive_write_free(writer);
    return absl::InternalError(fmt::format("create '{}': {}", path, error));
  }
  for (const auto& [name, contents] : files) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(contents.size()));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_write_header(writer, entry);
    archive_write_data(writer, contents.data(), contents.size());
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return absl::OkStatus();
}

}  // namespace ty::executors::local

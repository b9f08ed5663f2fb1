#include "executors/local/input_staging.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace ty::executors::local {
namespace {

namespace fs = std::filesystem;

bool IsUri(const std::string& value) {
  size_t scheme_end = value.find("://");
  return scheme_end != std::string::npos && scheme_end > 0;
}

// Checks that `binding` names an existing local path of the declared type.
absl::Status CheckLocalPath(const std::string& name, const agent::InputBinding& binding) {
  if (IsUri(binding.value)) {
    return absl::InvalidArgumentError(fmt::format(
        "input '{}': '{}' is a URI, which the local executor can only pass on in mode 'direct'; "
        "set `mode: direct` and read it in the job, or give an absolute path on the agent's host",
        name, binding.value));
  }
  if (!fs::path(binding.value).is_absolute()) {
    return absl::InvalidArgumentError(fmt::format(
        "input '{}': path '{}' is relative; on the local executor a data input is an absolute "
        "path on the agent's host",
        name, binding.value));
  }
  std::error_code error;
  fs::file_status status = fs::status(binding.value, error);
  if (!fs::exists(status)) {
    return absl::NotFoundError(fmt::format(
        "input '{}': path '{}' does not exist on the agent's host; check the path, or use "
        "`mode: direct` if the job reaches the data by other means",
        name, binding.value));
  }
  bool want_folder = binding.type == "uri_folder";
  if (want_folder && !fs::is_directory(status)) {
    return absl::FailedPreconditionError(fmt::format(
        "input '{}': type uri_folder needs a folder, but '{}' is not one; use `type: uri_file`",
        name, binding.value));
  }
  if (!want_folder && !fs::is_regular_file(status)) {
    return absl::FailedPreconditionError(fmt::format(
        "input '{}': type uri_file needs a regular file, but '{}' is not one; use "
        "`type: uri_folder` for a folder",
        name, binding.value));
  }
  return absl::OkStatus();
}

// Copies the input into `destination` and returns the path the job reads:
// the copied folder, or the copied file inside `destination`.
absl::StatusOr<std::string> Download(const std::string& name, const agent::InputBinding& binding,
                                     const fs::path& destination) {
  std::error_code error;
  fs::create_directories(destination, error);
  fs::path target = destination;
  if (!error) {
    if (binding.type == "uri_folder") {
      fs::copy(binding.value, destination,
               fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
    } else {
      target = destination / fs::path(binding.value).filename();
      fs::copy_file(binding.value, target, error);
    }
  }
  if (error) {
    return absl::InternalError(fmt::format("input '{}': cannot copy '{}' to '{}': {}", name,
                                           binding.value, destination.string(), error.message()));
  }
  return target.string();
}

}  // namespace

absl::StatusOr<std::map<std::string, agent::InputBinding>> StageInputs(
    const std::map<std::string, agent::InputBinding>& inputs, const std::string& inputs_dir) {
  std::error_code error;
  fs::remove_all(inputs_dir, error);
  if (error) {
    return absl::InternalError(
        fmt::format("cannot clear the inputs folder '{}': {}", inputs_dir, error.message()));
  }
  std::map<std::string, agent::InputBinding> staged = inputs;
  for (auto& [name, binding] : staged) {
    if (binding.type == "literal" || binding.mode == "direct") continue;
    absl::Status checked = CheckLocalPath(name, binding);
    if (!checked.ok()) return checked;
    if (binding.mode == "download") {
      absl::StatusOr<std::string> copy = Download(name, binding, fs::path(inputs_dir) / name);
      if (!copy.ok()) return copy.status();
      binding.value = *copy;
    }
  }
  return staged;
}

}  // namespace ty::executors::local

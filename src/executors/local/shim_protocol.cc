#include "executors/local/shim_protocol.h"

#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/status_macros.h"
#include "executors/local/file_util.h"

namespace ty::executors::local {

using nlohmann::json;

std::string EncodeShimLaunch(const ShimLaunch& launch) {
  json document = {{"command", launch.command},
                   {"working_dir", launch.working_dir},
                   {"environment", launch.environment},
                   {"grace_ms", launch.grace_ms}};
  return document.dump(2, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<ShimLaunch> DecodeShimLaunch(const std::string& text) {
  try {
    json document = json::parse(text);
    ShimLaunch launch;
    launch.command = document.at("command").get<std::string>();
    launch.working_dir = document.at("working_dir").get<std::string>();
    launch.environment = document.at("environment").get<std::map<std::string, std::string>>();
    launch.grace_ms = document.value("grace_ms", int64_t{10000});
    return launch;
  } catch (const json::exception& error) {
    return absl::DataLossError(fmt::format("invalid {}: {}", kLaunchFile, error.what()));
  }
}

std::string EncodeShimStatus(const ShimStatus& status) {
  json document = {{"stop_requested", status.stop_requested},
                   {"finished_ms", status.finished_ms}};
  if (status.exit_code) document["exit_code"] = *status.exit_code;
  if (status.signal) document["signal"] = *status.signal;
  if (!status.error.empty()) document["error"] = status.error;
  if (!status.log_error.empty()) document["log_error"] = status.log_error;
  return document.dump(2, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<ShimStatus> DecodeShimStatus(const std::string& text) {
  try {
    json document = json::parse(text);
    ShimStatus status;
    if (document.contains("exit_code")) status.exit_code = document["exit_code"].get<int>();
    if (document.contains("signal")) status.signal = document["signal"].get<int>();
    status.stop_requested = document.value("stop_requested", false);
    status.error = document.value("error", std::string());
    status.log_error = document.value("log_error", std::string());
    status.finished_ms = document.value("finished_ms", int64_t{0});
    return status;
  } catch (const json::exception& error) {
    return absl::DataLossError(fmt::format("invalid {}: {}", kStatusFile, error.what()));
  }
}

absl::StatusOr<int> ReadPidFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || value <= 0 || value > 0x7fffffff) {
    return absl::DataLossError(fmt::format("'{}' does not contain a process id: '{}'", path, text));
  }
  return static_cast<int>(value);
}

}  // namespace ty::executors::local

#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::http {

// One WebSocket connection carrying text messages, on either side.
// Thread-safety: one thread reads while any number of threads write; writes
// are serialised inside. Close() may be called from any thread and makes a
// blocked Read() return.
class WebSocket {
 public:
  virtual ~WebSocket() = default;

  // Blocks until a whole text message arrives. kUnavailable when the peer
  // closed or the connection broke, kDeadlineExceeded when the read timeout
  // passed without a message.
  virtual absl::StatusOr<std::string> Read() = 0;

  // Sends one text message. kUnavailable when the connection is gone.
  virtual absl::Status Write(std::string_view message) = 0;

  // Bounds each Read(); zero means wait forever.
  virtual void SetReadTimeout(std::chrono::milliseconds timeout) = 0;

  // Closes the connection. Safe to call twice.
  virtual void Close() = 0;
};

}  // namespace ty::http

#pragma once

// Private to src/common/http.

#include <mutex>

namespace ty::http {

// Lets one thread interrupt a socket that another thread owns and is blocked
// on. Shutdown() wakes every pending read and write on the socket (they fail
// with end-of-file or a reset) without closing the descriptor, so the owner
// still closes it exactly once. The owner calls Release() before closing,
// after which Shutdown() does nothing: a reused descriptor number is never
// touched. Thread-safe.
class SocketCloser {
 public:
  explicit SocketCloser(int fd) : fd_(fd) {}

  void Shutdown();
  void Release();

 private:
  std::mutex mu_;
  int fd_;  // -1 once released
};

}  // namespace ty::http

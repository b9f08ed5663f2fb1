#include "common/http/socket_closer.h"

#include <sys/socket.h>

namespace ty::http {

void SocketCloser::Shutdown() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void SocketCloser::Release() {
  std::lock_guard lock(mu_);
  fd_ = -1;
}

}  // namespace ty::http

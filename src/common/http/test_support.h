#pragma once

// Helpers for this folder's tests: temporary folders, a self-signed
// certificate, raw loopback sockets and a CONNECT proxy. Plain POSIX
// sockets keep Beast out of the test build.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ty::http::testing {

// A fresh folder under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CertificateFiles {
  std::string cert_file;  // PEM, also usable as the CA bundle
  std::string key_file;
};

// Writes a self-signed certificate into `dir`, for the subject alternative
// names `names` (OpenSSL syntax).
CertificateFiles WriteSelfSignedCertificate(const std::string& dir,
                                            const std::string& names = "DNS:localhost,IP:127.0.0.1");

// Connects a blocking TCP socket to 127.0.0.1:`port`; returns -1 on failure.
int ConnectLoopback(int port);

// Writes all of `data`; returns false on error.
bool SendAll(int fd, const std::string& data);

// Reads until the peer closes the connection.
std::string ReadUntilClose(int fd);

// Reads until `marker` has arrived (inclusive) or the peer closes.
std::string ReadUntil(int fd, const std::string& marker);

// A listening socket on 127.0.0.1 with a free port.
class Listener {
 public:
  Listener();
  ~Listener();
  int port() const { return port_; }
  int Accept();  // blocks; returns the connection's descriptor or -1

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A CONNECT proxy on 127.0.0.1 that serves tunnels until destroyed. It
// records each CONNECT target and pipes bytes both ways.
class ConnectProxy {
 public:
  ConnectProxy();
  ~ConnectProxy();
  int port() const { return listener_.port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::vector<std::string> targets();

 private:
  void Serve(int client);

  Listener listener_;
  std::thread accept_thread_;
  std::vector<std::thread> tunnels_;
  std::mutex mu_;
  std::vector<std::string> targets_;  // guarded by mu_
  std::vector<int> open_fds_;         // guarded by mu_
  std::atomic<bool> stopping_{false};
};

}  // namespace ty::http::testing

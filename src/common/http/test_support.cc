#include "common/http/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ty::http::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/http_test.XXXXXX";
  char* made = mkdtemp(pattern.data());
  path_ = made != nullptr ? made : "";
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

CertificateFiles WriteSelfSignedCertificate(const std::string& dir, const std::string& names) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, names.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(cert, key, EVP_sha256());

  CertificateFiles files{dir + "/cert.pem", dir + "/key.pem"};
  FILE* out = std::fopen(files.cert_file.c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  out = std::fopen(files.key_file.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string ReadUntilClose(int fd) {
  std::string data;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return data;
    data.append(chunk, static_cast<size_t>(n));
  }
}

std::string ReadUntil(int fd, const std::string& marker) {
  std::string data;
  char byte;
  while (data.find(marker) == std::string::npos) {
    if (::recv(fd, &byte, 1, 0) != 1) break;
    data += byte;
  }
  return data;
}

Listener::Listener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::listen(fd_, 16);
  socklen_t length = sizeof(address);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
}

Listener::~Listener() { ::close(fd_); }

int Listener::Accept() { return ::accept(fd_, nullptr, nullptr); }

ConnectProxy::ConnectProxy() {
  accept_thread_ = std::thread([this] {
    for (;;) {
      int client = listener_.Accept();
      if (client < 0 || stopping_) {
        if (client >= 0) ::close(client);
        return;
      }
      std::lock_guard lock(mu_);
      open_fds_.push_back(client);
      tunnels_.emplace_back([this, client] { Serve(client); });
    }
  });
}

ConnectProxy::~ConnectProxy() {
  stopping_ = true;
  // A last connection wakes the accept thread, which then sees stopping_.
  int waker = ConnectLoopback(port());
  accept_thread_.join();
  if (waker >= 0) ::close(waker);
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& tunnel : tunnels_) tunnel.join();
  for (int fd : open_fds_) ::close(fd);
}

std::vector<std::string> ConnectProxy::targets() {
  std::lock_guard lock(mu_);
  return targets_;
}

void ConnectProxy::Serve(int client) {
  std::string header = ReadUntil(client, "\r\n\r\n");
  // "CONNECT 127.0.0.1:1234 HTTP/1.1"
  if (header.rfind("CONNECT ", 0) != 0) {
    SendAll(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  std::string target = header.substr(8, header.find(' ', 8) - 8);
  {
    std::lock_guard lock(mu_);
    targets_.push_back(target);
  }
  int upstream = ConnectLoopback(std::stoi(target.substr(target.rfind(':') + 1)));
  if (upstream < 0) {
    SendAll(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  {
    std::lock_guard lock(mu_);
    open_fds_.push_back(upstream);
  }
  SendAll(client, "HTTP/1.1 200 Connection Established\r\n\r\n");

  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  char chunk[16384];
  for (;;) {
    if (::poll(fds, 2, -1) < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = ::recv(fds[i].fd, chunk, sizeof(chunk), 0);
      if (n <= 0 || !SendAll(fds[1 - i].fd, std::string(chunk, static_cast<size_t>(n)))) {
        ::shutdown(client, SHUT_RDWR);
        ::shutdown(upstream, SHUT_RDWR);
        return;
      }
    }
  }
}

}  // namespace ty::http::testing

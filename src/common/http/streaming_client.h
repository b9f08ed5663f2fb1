#pragma once

// An HTTP/1.1 client for APIs that need more than Client offers: TLS with a
// CA given as PEM text, client certificates (mutual TLS), an explicit switch
// to skip server verification, and response bodies read as they arrive
// (watch streams, followed logs).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/http/client.h"
#include "common/http/message.h"

namespace ty::http {

// TLS settings on top of ClientOptions. `ca_pem`, when set, replaces
// ClientOptions::ca_file.
struct TlsSettings {
  std::string ca_pem;           // PEM certificates that verify the server
  std::string client_cert_pem;  // PEM certificate chain presented to the server
  std::string client_key_pem;   // PEM private key of `client_cert_pem`
  // Accepts any server certificate. Only for clusters whose configuration
  // explicitly asks for it (kubeconfig insecure-skip-tls-verify).
  bool insecure_skip_verify = false;
};

// A response whose body arrives in pieces. Not thread-safe, except Cancel().
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;

  virtual int status() const = 0;

  // Returns the header value (case-insensitive name), or "" when absent.
  virtual std::string Header(std::string_view name) const = 0;

  // Appends the next piece of the body to `out`. Returns false once the body
  // has ended; `out` is then unchanged. Errors: kDeadlineExceeded when no
  // byte arrived within the stream's idle timeout, kCancelled after
  // Cancel(), kUnavailable when the connection broke.
  virtual absl::StatusOr<bool> Read(std::string* out) = 0;

  // Makes a blocked or later Read() fail with kCancelled. Thread-safe.
  virtual void Cancel() = 0;
};

// A client for one base URL ("https://host:6443"). Send() keeps one
// connection alive between requests; each Open() uses a connection of its
// own that ends with the stream. Not thread-safe: use one per thread. The
// streams it opens may outlive it.
class StreamingClient {
 public:
  virtual ~StreamingClient() = default;

  // kInvalidArgument for a malformed URL, a ws:// URL, or unreadable PEM in
  // `tls` (the field is named).
  static absl::StatusOr<std::unique_ptr<StreamingClient>> Create(std::string_view base_url,
                                                                 const ClientOptions& options,
                                                                 const TlsSettings& tls);

  // Sends one request and reads the whole response, with the semantics of
  // Client::Send: any HTTP status is a result, errors are transport
  // failures (kUnavailable, kDeadlineExceeded, kResourceExhausted).
  virtual absl::StatusOr<Response> Send(std::string_view method, std::string_view target,
                                        std::string_view body, std::string_view content_type,
                                        const Headers& headers) = 0;

  // Sends a bodiless request and returns once the response header has
  // arrived; connecting and the header are bounded by
  // ClientOptions::timeout. Each later Read() waits at most `idle_timeout`
  // for data. Errors as for Send().
  virtual absl::StatusOr<std::unique_ptr<ResponseStream>> Open(
      std::string_view method, std::string_view target, const Headers& headers,
      std::chrono::milliseconds idle_timeout) = 0;
};

}  // namespace ty::http

// TLS contexts and client-side verification settings.

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include "common/http/beast_internal.h"

namespace ty::http {

absl::StatusOr<std::shared_ptr<net::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                       net::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(Concat("read TLS certificate '", cert_file,
                                                   "': ", ec.message(),
                                                   "; pass a readable PEM certificate file"));
  }
  context->use_private_key_file(key_file, net::ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        Concat("read TLS private key '", key_file, "': ", ec.message(),
                     "; pass a readable PEM key that matches the certificate"));
  }
  return context;
}

absl::StatusOr<std::shared_ptr<net::ssl::context>> MakeClientTlsContext(
    const std::string& ca_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                       net::ssl::context::no_tlsv1_1);
  context->set_verify_mode(net::ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) {
      return absl::InvalidArgumentError(Concat(
          "load the system CA store: ", ec.message(), "; pass a CA bundle file instead"));
    }
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(Concat("read CA bundle '", ca_file, "': ",
                                                     ec.message(),
                                                     "; pass a readable PEM file"));
    }
  }
  return context;
}

absl::Status PrepareClientTls(TlsStream& stream, const std::string& host) {
  SSL* ssl = stream.native_handle();
  beast::error_code ec;
  net::ip::make_address(host, ec);
  bool is_address = !ec;

  // SNI carries host names only (RFC 6066 section 3), so addresses skip it.
  if (!is_address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return absl::InvalidArgumentError(Concat("set TLS server name '", host, "' failed"));
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  int set = is_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (set != 1) {
    return absl::InvalidArgumentError(
        Concat("set the TLS host name to verify to '", host, "' failed"));
  }
  return absl::OkStatus();
}

absl::Status TlsHandshakeError(beast::error_code ec, TlsStream& stream,
                               const std::string& peer) {
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(
        Concat("TLS handshake with '", peer, "' timed out"));
  }
  long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK) {
    return absl::UnavailableError(Concat(
        "TLS handshake with '", peer, "' failed: certificate verify failed: ",
        X509_verify_cert_error_string(verify),
        "; set the client's CA file to the bundle that signed the server certificate"));
  }
  return absl::UnavailableError(
      Concat("TLS handshake with '", peer, "' failed: ", ec.message()));
}

}  // namespace ty::http

#include "kube/client.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/reflector.h"
#include "kube/test_api_server.h"

namespace ty::kube {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr char kToken[] = "test-token";

json ConfigMap(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", "demo"}}}}},
          {"data", {{"key", "value"}}}};
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start({.config = {{"token", kToken}}}).ok());
    auto client = Client::FromConfig(server_.Config(kToken));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  testing::TestApiServer server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, CreateGetListPatchDelete) {
  auto created = client_->Create(kConfigMaps, "default", ConfigMap("settings"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(ResourceVersionOf(*created).empty());

  auto fetched = client_->Get(kConfigMaps, "default", "settings");
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ((*fetched)["data"]["key"], "value");

  auto listed = client_->List(kConfigMaps, "default", {.label_selector = "app=demo"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ((*listed)["items"].size(), 1u);
  EXPECT_FALSE((*listed)["metadata"]["resourceVersion"].get<std::string>().empty());
  auto none = client_->List(kConfigMaps, "default", {.label_selector = "app=other"});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE((*none)["items"].empty());

  auto patched = client_->MergePatch(kConfigMaps, "default", "settings",
                                     {{"data", {{"key", nullptr}, {"other", "x"}}}});
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_FALSE((*patched)["data"].contains("key"));
  EXPECT_EQ((*patched)["data"]["other"], "x");

  EXPECT_TRUE(client_->Delete(kConfigMaps, "default", "settings",
                              PropagationPolicy::kBackground).ok());
  EXPECT_EQ(client_->Get(kConfigMaps, "default", "settings").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Delete(kConfigMaps, "default", "settings", PropagationPolicy::kBackground)
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, CreateOfExistingNameIsAlreadyExists) {
  ASSERT_TRUE(client_->Create(kConfigMaps, "default", ConfigMap("twice")).ok());
  auto again = client_->Create(kConfigMaps, "default", ConfigMap("twice"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(ClientTest, MissingNamespaceIsNamed) {
  auto created = client_->Create(kConfigMaps, "team-a", ConfigMap("x"));
  EXPECT_EQ(created.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(created.status().message(), HasSubstr("namespace 'team-a' does not exist"));
}

TEST_F(ClientTest, WrongTokenIsUnauthenticated) {
  auto client = Client::FromConfig(server_.Config("expired-token"));
  ASSERT_TRUE(client.ok());
  auto listed = (*client)->List(kPods, "default");
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(listed.status().message(), HasSubstr("token rejected (expired?)"));
}

TEST_F(ClientTest, RbacDenialNamesVerbAndResource) {
  ASSERT_TRUE(server_.Control("denials", {{"denials", {{{"verb", "create"},
                                                        {"resource", "configmaps"}}}}})
                  .ok());
  auto created = client_->Create(kConfigMaps, "default", ConfigMap("denied"));
  EXPECT_EQ(created.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(created.status().message(), HasSubstr("verb 'create' on 'configmaps'"));
  EXPECT_THAT(created.status().message(), HasSubstr("cannot create resource \"configmaps\""));
}

TEST_F(ClientTest, FollowsPodLogUntilContainerEnds) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "talker"}}},
              {"spec",
               {{"restartPolicy", "Never"},
                {"containers",
                 {{{"name", "main"},
                   {"image", "busybox"},
                   {"command", {"/bin/sh", "-c", "echo one; sleep 0.3; echo two"}}}}}}}};
  ASSERT_TRUE(client_->Create(kPods, "default", pod).ok());

  // The log is readable once the container has started.
  std::unique_ptr<LineStream> log;
  for (int attempt = 0; attempt < 100 && log == nullptr; ++attempt) {
    auto opened = client_->StreamPodLog("default", "talker", {.container = "main"});
    if (opened.ok()) {
      log = std::move(*opened);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_NE(log, nullptr);
  std::vector<std::string> lines;
  while (true) {
    auto line = log->Next();
    ASSERT_TRUE(line.ok()) << line.status();
    if (!line->has_value()) break;
    lines.push_back(**line);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("Z one"));
  EXPECT_THAT(lines[1], HasSubstr("Z two"));
}

TEST(ClientUnreachableTest, RefusedConnectionNamesServer) {
  ClusterConfig config{.server = "http://127.0.0.1:1", .token = "t", .source = "test"};
  auto client = Client::FromConfig(config);
  ASSERT_TRUE(client.ok());
  auto listed = (*client)->List(kPods, "default");
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(listed.status().message(),
              HasSubstr("cannot reach the Kubernetes API server 'http://127.0.0.1:1'"));
}

// Verifies mutual TLS: the server's certificate is checked against the CA
// of the configuration, and a client certificate authenticates without a
// token.
class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/kube-tls-" + std::to_string(getpid());
    std::string script = fmt::format(
        "set -e; mkdir -p {0} && cd {0};"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
        "-subj /CN=test-ca 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=127.0.0.1 2>/dev/null;"
        "printf 'subjectAltName=IP:127.0.0.1' > san.ext;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 1 -extfile san.ext 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
        "-subj /CN=agent 2>/dev/null;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out client.pem -days 1 2>/dev/null",
        dir_);
    ASSERT_EQ(std::system(script.c_str()), 0);
    ASSERT_TRUE(server_
                    .Start({.config = {{"token", "only-for-control"}},
                            .tls_cert_file = dir_ + "/server.pem",
                            .tls_key_file = dir_ + "/server.key",
                            .ca_file = dir_ + "/ca.pem",
                            .client_ca_file = dir_ + "/ca.pem"})
                    .ok());
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  std::string dir_;
  testing::TestApiServer server_;
};

TEST_F(ClientTlsTest, ClientCertificateAuthenticates) {
  ClusterConfig config = server_.Config("");
  config.client_cert_pem = Read("client.pem");
  config.client_key_pem = Read("client.key");
  auto client = Client::FromConfig(config);
  ASSERT_TRUE(client.ok()) << client.status();
  auto listed = (*client)->List(kNodes, "");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ((*listed)["items"].size(), 1u);
}

TEST_F(ClientTlsTest, WithoutCertificateOrTokenIsUnauthenticated) {
  auto client = Client::FromConfig(server_.Config(""));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->List(kNodes, "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ClientTlsTest, UnknownCaIsRejectedUnlessSkipIsExplicit) {
  ClusterConfig config = server_.Config("only-for-control");
  config.ca_pem.clear();
  auto client = Client::FromConfig(config);
  ASSERT_TRUE(client.ok()) << client.status();
  auto listed = (*client)->List(kNodes, "");
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(listed.status().message(), HasSubstr("certificate verify failed"));

  config.insecure_skip_tls_verify = true;
  auto insecure = Client::FromConfig(config);
  ASSERT_TRUE(insecure.ok()) << insecure.status();
  EXPECT_TRUE((*insecure)->List(kNodes, "").ok());
}

}  // namespace
}  // namespace ty::kube

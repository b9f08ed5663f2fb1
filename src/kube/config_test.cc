#include "kube/config.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/base64.h"

namespace ty::kube {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "kube-config-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempFolder() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = (fs::path(path_) / name).string();
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

constexpr char kTwoContexts[] = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    certificate-authority-data: Q0EgUEVN
- name: lab-cluster
  cluster:
    server: https://lab.example:6443
    certificate-authority: certs/ca.pem
    proxy-url: http://proxy.example:3128
- name: loose-cluster
  cluster:
    server: https://loose.example
    insecure-skip-tls-verify: true
contexts:
- name: dev
  context: {cluster: dev-cluster, user: token-user, namespace: team-a}
- name: lab
  context: {cluster: lab-cluster, user: cert-user}
- name: loose
  context: {cluster: loose-cluster, user: file-user}
- name: cloud
  context: {cluster: dev-cluster, user: exec-user}
users:
- name: token-user
  user: {token: abc123}
- name: cert-user
  user:
    client-certificate: certs/client.pem
    client-key-data: S0VZIFBFTQ==
- name: file-user
  user: {tokenFile: token.txt}
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
)";

TEST(KubeconfigTest, UsesCurrentContext) {
  auto config = ParseKubeconfig(kTwoContexts, "/nowhere", "");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://dev.example:6443");
  EXPECT_EQ(config->ca_pem, "CA PEM");
  EXPECT_EQ(config->token, "abc123");
  EXPECT_EQ(config->namespace_name, "team-a");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_THAT(config->source, HasSubstr("context 'dev'"));
}

TEST(KubeconfigTest, ResolvesFilesRelativeToKubeconfig) {
  TempFolder folder;
  fs::create_directories(fs::path(folder.path()) / "certs");
  folder.Write("certs/ca.pem", "LAB CA");
  folder.Write("certs/client.pem", "CLIENT CERT");
  auto config = ParseKubeconfig(kTwoContexts, folder.path(), "lab");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, "LAB CA");
  EXPECT_EQ(config->client_cert_pem, "CLIENT CERT");
  EXPECT_EQ(config->client_key_pem, "KEY PEM");
  EXPECT_EQ(config->proxy_url, "http://proxy.example:3128");
}

TEST(KubeconfigTest, KeepsInsecureFlagAndTokenFile) {
  TempFolder folder;
  folder.Write("token.txt", "file-token\n");
  auto config = ParseKubeconfig(kTwoContexts, folder.path(), "loose");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token_file, (fs::path(folder.path()) / "token.txt").string());
}

TEST(KubeconfigTest, ExecPluginIsAClearError) {
  auto config = ParseKubeconfig(kTwoContexts, "/nowhere", "cloud");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("exec plugin 'aws'"));
  EXPECT_THAT(config.status().message(), HasSubstr("kubectl create token"));
}

TEST(KubeconfigTest, UnknownContextListsKnownOnes) {
  auto config = ParseKubeconfig(kTwoContexts, "/nowhere", "prod");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("context 'prod' not found"));
  EXPECT_THAT(config.status().message(), HasSubstr("'dev', 'lab', 'loose', 'cloud'"));
}

TEST(KubeconfigTest, MissingCertificateFileIsNamed) {
  auto config = ParseKubeconfig(kTwoContexts, "/nowhere", "lab");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("/nowhere/certs/ca.pem"));
}

TEST(KubeconfigTest, RejectsMalformedInput) {
  EXPECT_EQ(ParseKubeconfig("[unclosed", "", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKubeconfig("- a list", "", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ParseKubeconfig("clusters: []", "", "").status().message(),
              HasSubstr("no current-context"));
}

TEST(KubeconfigTest, LoadNamesMissingFile) {
  auto config = LoadKubeconfig("/nowhere/kubeconfig", "");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("'/nowhere/kubeconfig'"));
}

TEST(InClusterConfigTest, ReadsServiceAccountFiles) {
  TempFolder folder;
  folder.Write("token", "sa-token");
  folder.Write("ca.crt", "CLUSTER CA");
  folder.Write("namespace", "trainyard\n");
  auto config = LoadInClusterConfig(
      {.secrets_dir = folder.path(), .host = "10.96.0.1", .port = "443"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, "CLUSTER CA");
  EXPECT_EQ(config->namespace_name, "trainyard");
  EXPECT_EQ(config->token_file, (fs::path(folder.path()) / "token").string());
}

TEST(InClusterConfigTest, BracketsIpv6Hosts) {
  TempFolder folder;
  folder.Write("token", "t");
  folder.Write("ca.crt", "CA");
  auto config =
      LoadInClusterConfig({.secrets_dir = folder.path(), .host = "fd00::1", .port = "443"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
}

TEST(InClusterConfigTest, OutsideAPodIsFailedPrecondition) {
  auto config = LoadInClusterConfig({.secrets_dir = "/nowhere", .host = "", .port = ""});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(config.status().message(), HasSubstr("--kubeconfig"));
}

}  // namespace
}  // namespace ty::kube

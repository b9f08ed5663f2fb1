#pragma once

// For tests: a KubernetesExecutor against the project's test API server,
// whose pods run as local processes.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/test_listener.h"
#include "kube/test_api_server.h"

namespace ty::executors::kubernetes::testing {

inline constexpr char kToken[] = "executor-test-token";
inline constexpr char kNamespace[] = "trainyard";

class ExecutorTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (executor_ != nullptr) executor_->Shutdown();
  }

  // Starts the API server with `config` (token and the namespace added).
  void StartServer(nlohmann::json config = nlohmann::json::object()) {
    config["token"] = kToken;
    if (!config.contains("namespaces")) config["namespaces"] = {kNamespace};
    absl::Status started = server_.Start({.config = config});
    ASSERT_TRUE(started.ok()) << started;
  }

  KubernetesExecutorOptions Options() {
    KubernetesExecutorOptions options;
    options.manifests.namespace_name = kNamespace;
    options.manifests.owner = "test-cluster";
    options.manifests.grace_period = std::chrono::seconds(1);
    options.manifests.finished_ttl = std::chrono::seconds(0);
    options.tick = std::chrono::milliseconds(100);
    options.log_drain_timeout = std::chrono::seconds(10);
    options.extension_namespace = kNamespace;
    return options;
  }

  std::unique_ptr<KubernetesExecutor> NewExecutor(RecordingListener& listener,
                                                  KubernetesExecutorOptions options) {
    auto client = kube::Client::FromConfig(server_.Config(kToken));
    EXPECT_TRUE(client.ok()) << client.status();
    return std::make_unique<KubernetesExecutor>(std::move(*client), std::move(options),
                                                &listener);
  }

  void StartExecutor() { StartExecutor(Options()); }
  void StartExecutor(KubernetesExecutorOptions options) {
    executor_ = NewExecutor(listener_, std::move(options));
    absl::Status recovered = executor_->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered;
  }

  static agent::LaunchSpec Spec(const std::string& name, const std::string& command) {
    agent::LaunchSpec spec;
    spec.job_id = "rg/ws/" + name;
    spec.command = command;
    spec.environment_name = "python:3.11";
    spec.resources.cpus = 1;
    spec.resources.memory_bytes = int64_t{1} << 30;
    return spec;
  }

  // Writes a tar archive holding `file` with `content` and returns its path.
  std::string WriteSnapshot(const std::string& file, const std::string& content) {
    std::string dir = server_.dir() + "/snapshot";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/" + file) << content;
    std::string archive = server_.dir() + "/code.tar";
    std::string command = "tar -cf " + archive + " -C " + dir + " " + file;
    EXPECT_EQ(std::system(command.c_str()), 0);
    return archive;
  }

  // Polls `predicate` until it holds or `timeout` passes.
  static bool Eventually(const std::function<bool()>& predicate,
                         std::chrono::seconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return predicate();
  }

  // The Kubernetes object at `path`, or null when it does not exist.
  nlohmann::json Object(const std::string& path) { return server_.Get(path, kToken); }

  std::string JobPath(const std::string& job_id, const std::string& namespace_name = kNamespace) {
    return "/apis/batch/v1/namespaces/" + namespace_name + "/jobs/" +
           KubernetesExecutor::KubernetesName(job_id);
  }

  kube::testing::TestApiServer server_;
  RecordingListener listener_;
  std::unique_ptr<KubernetesExecutor> executor_;
};

}  // namespace ty::executors::kubernetes::testing

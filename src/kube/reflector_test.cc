#include "kube/reflector.h"

#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "kube/test_api_server.h"

namespace ty::kube {
namespace {

using nlohmann::json;

constexpr char kToken[] = "reflector-token";

bool WaitFor(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

json ConfigMap(const std::string& name) {
  return {{"metadata", {{"name", name}, {"labels", {{"app", "watched"}}}}},
          {"data", {{"k", "v"}}}};
}

class ReflectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start({.config = {{"token", kToken}}}).ok());
    auto client = Client::FromConfig(server_.Config(kToken));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    ReflectorHandler handler{
        .on_upsert =
            [this](const json& object) {
              std::lock_guard lock(mu_);
              present_.insert(NameOf(object));
            },
        .on_delete =
            [this](const json& object) {
              std::lock_guard lock(mu_);
              present_.erase(NameOf(object));
              deleted_.insert(NameOf(object));
            },
        .on_synced = nullptr,
        .on_error = nullptr};
    reflector_ = std::make_unique<Reflector>(
        *client_,
        ReflectorOptions{.type = &kConfigMaps,
                         .namespace_name = "default",
                         .selector = {.label_selector = "app=watched"},
                         .watch_timeout_seconds = 60,
                         .min_backoff = std::chrono::milliseconds(50),
                         .max_backoff = std::chrono::milliseconds(200)},
        handler);
  }

  bool Present(const std::string& name) {
    std::lock_guard lock(mu_);
    return present_.contains(name);
  }
  bool Deleted(const std::string& name) {
    std::lock_guard lock(mu_);
    return deleted_.contains(name);
  }

  testing::TestApiServer server_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Reflector> reflector_;
  std::mutex mu_;
  std::set<std::string> present_;  // guarded by mu_
  std::set<std::string> deleted_;  // guarded by mu_
};

TEST_F(ReflectorTest, DeliversListThenWatchEvents) {
  ASSERT_TRUE(client_->Create(kConfigMaps, "default", ConfigMap("before")).ok());
  reflector_->Start();
  ASSERT_TRUE(WaitFor([&] { return Present("before"); }));
  EXPECT_TRUE(reflector_->synced());

  ASSERT_TRUE(client_->Create(kConfigMaps, "default", ConfigMap("after")).ok());
  ASSERT_TRUE(WaitFor([&] { return Present("after"); }));
  ASSERT_TRUE(
      client_->Delete(kConfigMaps, "default", "before", PropagationPolicy::kBackground).ok());
  ASSERT_TRUE(WaitFor([&] { return Deleted("before"); }));
  EXPECT_EQ(reflector_->stats().lists, 1);
}

// Verifies that a watch the server ended is continued from the last
// resourceVersion without listing again.
TEST_F(ReflectorTest, ReconnectsAfterWatchEnds) {
  reflector_->Start();
  ASSERT_TRUE(WaitFor([&] { return reflector_->stats().watches >= 1; }));
  ASSERT_TRUE(server_.Control("end-watches").ok());
  ASSERT_TRUE(WaitFor([&] { return reflector_->stats().watches >= 2; }));

  ASSERT_TRUE(client_->Create(kConfigMaps, "default", ConfigMap("late")).ok());
  ASSERT_TRUE(WaitFor([&] { return Present("late"); }));
  EXPECT_EQ(reflector_->stats().lists, 1);
  EXPECT_EQ(reflector_->stats().expired, 0);
}

// Verifies that after 410 Gone the reflector lists again and reports the
// objects deleted while it could not watch.
TEST_F(ReflectorTest, ListsAgainWhenResourceVersionExpired) {
  ASSERT_TRUE(client_->Create(kConfigMaps, "default", ConfigMap("doomed")).ok());
  reflector_->Start();
  ASSERT_TRUE(WaitFor([&] { return Present("doomed"); }));

  // With watches denied, the deletion is missed; compaction then makes the
  // reflector's resourceVersion too old.
  ASSERT_TRUE(server_.Control("denials", {{"denials", {{{"verb", "watch"}}}}}).ok());
  ASSERT_TRUE(server_.Control("end-watches").ok());
  ASSERT_TRUE(
      client_->Delete(kConfigMaps, "default", "doomed", PropagationPolicy::kBackground).ok());
  ASSERT_TRUE(client_->Create(kConfigMaps, "default", ConfigMap("newcomer")).ok());
  ASSERT_TRUE(server_.Control("compact").ok());
  ASSERT_TRUE(server_.Control("denials", {{"denials", json::array()}}).ok());

  ASSERT_TRUE(WaitFor([&] { return Deleted("doomed"); }));
  ASSERT_TRUE(WaitFor([&] { return Present("newcomer"); }));
  EXPECT_GE(reflector_->stats().expired, 1);
  EXPECT_EQ(reflector_->stats().lists, 2);
}

}  // namespace
}  // namespace ty::kube

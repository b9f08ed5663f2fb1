// Server-sent events of a job and of a workspace through a real server on
// loopback, read as a browser reads them: one long chunked response.

#include <gtest/gtest.h>

#include "common/http/streaming_client.h"
#include "server/tracking_test_server.h"
#include "store/job_logs.h"

namespace ty::server {
namespace {

using json = nlohmann::json;

class JobEventRoutesTest : public TrackingServerTest {
 protected:
  void SetUp() override {
    TrackingServerTest::SetUp();
    auto client = http::StreamingClient::Create(
        "http://127.0.0.1:" + std::to_string(server_->port()), {}, {});
    ASSERT_TRUE(client.ok()) << client.status();
    streaming_ = std::move(*client);
  }

  void TearDown() override {
    // Streams still open wait on the notifier; waking them lets Stop() join.
    notifier_.Shutdown();
    TrackingServerTest::TearDown();
  }

  std::unique_ptr<http::ResponseStream> Open(const std::string& target) {
    auto stream = streaming_->Open("GET", target,
                                   {{"Authorization", std::string("Bearer ") + kAdminToken}},
                                   std::chrono::seconds(20));
    EXPECT_TRUE(stream.ok()) << stream.status();
    return stream.ok() ? *std::move(stream) : nullptr;
  }

  // Reads until the text received so far contains `marker`, and returns it.
  static std::string ReadUntil(http::ResponseStream& stream, std::string& received,
                               std::string_view marker) {
    while (received.find(marker) == std::string::npos) {
      absl::StatusOr<bool> more = stream.Read(&received);
      if (!more.ok() || !*more) break;
    }
    return received;
  }

  void AppendLines(const std::string& job_id, std::vector<std::string> texts, int64_t offset) {
    store::LogChunk chunk{.job_id = job_id, .node = "host", .rank = 0, .stream = "stdout",
                          .offset = offset};
    for (std::string& text : texts) chunk.lines.emplace_back(1000, std::move(text));
    ASSERT_TRUE(store::AppendLogLines(*database_, notifier_, chunk).ok());
  }

  void Report(const std::string& job_id, api::JobStatus status) {
    store::JobStatusUpdate update{.job_id = job_id, .status = status, .time_millis = 2000};
    ASSERT_TRUE(store::AppendJobStatus(*database_, notifier_, update).ok());
  }

  std::unique_ptr<http::StreamingClient> streaming_;
};

TEST_F(JobEventRoutesTest, JobStreamSendsStatusLogsAndEnd) {
  SubmitJob("train-1");
  std::string job_id = workspace_id_ + "/jobs/train-1";
  AppendLines(job_id, {"first line"}, 0);

  auto stream = Open(JobPath("train-1") + "/events");
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(stream->status(), 200);
  EXPECT_EQ(stream->Header("content-type"), "text/event-stream");
  std::string received;
  ReadUntil(*stream, received, "first line");
  EXPECT_NE(received.find("event: job\ndata: {"), std::string::npos) << received;
  EXPECT_NE(received.find("event: logs\ndata: {"), std::string::npos) << received;

  // A line with markup and one of 1 MB arrive as JSON text, unchanged.
  AppendLines(job_id, {"<script>alert(1)</script>", std::string(1 << 20, 'x')}, 1);
  ReadUntil(*stream, received, std::string(1 << 20, 'x'));
  EXPECT_NE(received.find("<script>alert(1)</script>"), std::string::npos);

  Report(job_id, api::JobStatus::kRunning);
  ReadUntil(*stream, received, "\"Running\"");
  Report(job_id, api::JobStatus::kCompleted);
  ReadUntil(*stream, received, "event: end");
  EXPECT_NE(received.find("event: end\ndata: {\"nextSeq\":3}"), std::string::npos);
  absl::StatusOr<bool> more = stream->Read(&received);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_FALSE(*more) << "the stream must end after the end event";
}

TEST_F(JobEventRoutesTest, JobStreamResumesAfterSeq) {
  SubmitJob("train-1");
  std::string job_id = workspace_id_ + "/jobs/train-1";
  AppendLines(job_id, {"line one", "line two", "line three"}, 0);
  Report(job_id, api::JobStatus::kFailed);

  auto stream = Open(JobPath("train-1") + "/events?after=2");
  ASSERT_NE(stream, nullptr);
  std::string received;
  ReadUntil(*stream, received, "event: end");
  EXPECT_EQ(received.find("line two"), std::string::npos) << received;
  EXPECT_NE(received.find("line three"), std::string::npos) << received;
}

TEST_F(JobEventRoutesTest, WorkspaceStreamSendsChangedJobs) {
  SubmitJob("train-1");
  auto stream = Open("/api/v1/resourceGroups/rg/workspaces/ws/jobEvents?since=0");
  ASSERT_NE(stream, nullptr);
  std::string received;
  ReadUntil(*stream, received, "\"train-1\"");
  EXPECT_NE(received.find("event: jobs\ndata: {"), std::string::npos) << received;

  SubmitJob("train-2");
  ReadUntil(*stream, received, "\"train-2\"");
  EXPECT_NE(received.find("\"train-2\""), std::string::npos) << received;
}

TEST_F(JobEventRoutesTest, UnknownJobAndBadQueryAreErrors) {
  EXPECT_EQ(Call("GET", JobPath("nope") + "/events").status, 404);
  SubmitJob("train-1");
  CallResult bad = Call("GET", JobPath("train-1") + "/events?after=-1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"].value("field", ""), "after");
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups/rg/workspaces/none/jobEvents").status, 404);
  EXPECT_EQ(Call("GET", JobPath("train-1") + "/events", {}, "wrong").status, 401);
}

}  // namespace
}  // namespace ty::server

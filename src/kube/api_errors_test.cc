#include "kube/api_errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::kube {
namespace {

using ::testing::HasSubstr;

RequestInfo CreateJob() {
  return RequestInfo{.verb = "create",
                     .type = &kJobs,
                     .namespace_name = "team-a",
                     .name = "tyj-1",
                     .server = "https://10.0.0.1:6443",
                     .source = "context 'dev' of 'kubeconfig'",
                     .subresource = ""};
}

TEST(ApiErrorsTest, UnauthorizedSaysTokenRejected) {
  absl::Status status = StatusFromAnswer(
      401, R"({"kind":"Status","status":"Failure","message":"Unauthorized","code":401})",
      CreateJob());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(), HasSubstr("token rejected (expired?)"));
  EXPECT_THAT(status.message(), HasSubstr("context 'dev'"));
}

TEST(ApiErrorsTest, ForbiddenNamesVerbResourceAndNamespace) {
  absl::Status status = StatusFromAnswer(
      403,
      R"({"kind":"Status","status":"Failure","reason":"Forbidden","code":403,)"
      R"("message":"jobs.batch is forbidden: User \"system:serviceaccount:t:agent\" cannot )"
      R"(create resource \"jobs\" in API group \"batch\" in the namespace \"team-a\""})",
      CreateJob());
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("verb 'create' on 'jobs.batch' in namespace 'team-a'"));
  EXPECT_THAT(status.message(), HasSubstr("cannot create resource"));
}

TEST(ApiErrorsTest, MissingNamespaceIsNamed) {
  absl::Status status = StatusFromAnswer(
      404, R"({"kind":"Status","reason":"NotFound","message":"namespaces \"team-a\" not found"})",
      CreateJob());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("namespace 'team-a' does not exist"));
  EXPECT_THAT(status.message(), HasSubstr("kubectl create namespace team-a"));
}

TEST(ApiErrorsTest, ConflictsSplitByReason) {
  EXPECT_EQ(StatusFromAnswer(409, R"({"kind":"Status","reason":"AlreadyExists","message":"x"})",
                             CreateJob())
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      StatusFromAnswer(409, R"({"kind":"Status","reason":"Conflict","message":"x"})", CreateJob())
          .code(),
      absl::StatusCode::kAborted);
}

TEST(ApiErrorsTest, GoneIsExpired) {
  absl::Status status = StatusFromAnswer(
      410, R"({"kind":"Status","reason":"Expired","message":"too old resource version"})",
      CreateJob());
  EXPECT_TRUE(IsExpired(status));
  EXPECT_FALSE(IsExpired(absl::OutOfRangeError("other")));
}

TEST(ApiErrorsTest, OtherAnswers) {
  EXPECT_EQ(StatusFromAnswer(422, "{}", CreateJob()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromAnswer(503, "busy", CreateJob()).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromAnswer(418, "", CreateJob()).code(), absl::StatusCode::kUnknown);
}

TEST(ApiErrorsTest, TransportFailureNamesServer) {
  absl::Status status = StatusFromTransport(
      absl::UnavailableError("connect to '10.0.0.1:6443' failed: Connection refused"),
      CreateJob());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("cannot reach the Kubernetes API server "
                                          "'https://10.0.0.1:6443'"));
  EXPECT_THAT(status.message(), HasSubstr("Connection refused"));
}

}  // namespace
}  // namespace ty::kube

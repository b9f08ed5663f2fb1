#include "common/errors.h"

#include <gtest/gtest.h>

namespace ty {
namespace {

TEST(FieldErrorTest, PrefixesMessageAndCarriesField) {
  absl::Status status = FieldError(absl::StatusCode::kNotFound, "clusterName", "cluster 'c1' not found");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "clusterName: cluster 'c1' not found");
  EXPECT_EQ(ErrorField(status), "clusterName");
}

TEST(FieldErrorTest, EmptyFieldGivesPlainStatus) {
  absl::Status status = FieldError(absl::StatusCode::kInternal, "", "store failed");
  EXPECT_EQ(status.message(), "store failed");
  EXPECT_EQ(ErrorField(status), "");
  EXPECT_FALSE(status.GetPayload(kFieldPayloadUrl).has_value());
}

TEST(FieldErrorTest, InvalidFieldUsesInvalidArgument) {
  absl::Status status = InvalidField("name", "missing name");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(status), "name");
}

TEST(FieldErrorTest, ErrorFieldOfPlainStatusIsEmpty) {
  EXPECT_EQ(ErrorField(absl::OkStatus()), "");
  EXPECT_EQ(ErrorField(absl::InvalidArgumentError("x")), "");
}

TEST(NestFieldErrorTest, PrependsParentOnce) {
  absl::Status nested = NestFieldError("resources", InvalidField("cpu", "invalid quantity 'x'"));
  EXPECT_EQ(nested.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(nested), "resources.cpu");
  EXPECT_EQ(nested.message(), "resources.cpu: invalid quantity 'x'");
}

TEST(NestFieldErrorTest, StatusWithoutFieldGetsParent) {
  absl::Status nested = NestFieldError("spec", absl::InvalidArgumentError("bad spec"));
  EXPECT_EQ(ErrorField(nested), "spec");
  EXPECT_EQ(nested.message(), "spec: bad spec");
}

TEST(NestFieldErrorTest, OkAndEmptyParentUnchanged) {
  EXPECT_TRUE(NestFieldError("spec", absl::OkStatus()).ok());
  absl::Status status = InvalidField("cpu", "bad");
  EXPECT_EQ(NestFieldError("", status), status);
}

}  // namespace
}  // namespace ty

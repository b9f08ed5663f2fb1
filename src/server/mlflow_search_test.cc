#include "server/mlflow_search.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/errors.h"

namespace ty::server {
namespace {

using ::testing::HasSubstr;

SearchFacts Facts(double loss, std::string lr, std::string run_name, int64_t start_time) {
  SearchFacts facts;
  facts.metrics["loss"] = loss;
  facts.params["lr"] = std::move(lr);
  facts.tags["data set"] = "digits";
  facts.attributes["run_name"] = std::move(run_name);
  facts.attributes["start_time"] = start_time;
  facts.attributes["status"] = "FINISHED";
  return facts;
}

bool Matches(std::string_view filter, const SearchFacts& facts) {
  absl::StatusOr<std::vector<SearchClause>> clauses = ParseSearchFilter(filter);
  EXPECT_TRUE(clauses.ok()) << filter << ": " << clauses.status();
  return clauses.ok() && MatchesFilter(facts, *clauses);
}

TEST(SearchFilterTest, MatchesEachEntity) {
  SearchFacts facts = Facts(0.25, "0.01", "bright-fox", 100);
  EXPECT_TRUE(Matches("", facts));
  EXPECT_TRUE(Matches("metrics.loss < 0.3", facts));
  EXPECT_FALSE(Matches("metrics.loss >= 0.3", facts));
  EXPECT_TRUE(Matches("params.lr = '0.01'", facts));
  EXPECT_TRUE(Matches("params.lr != \"0.1\"", facts));
  EXPECT_TRUE(Matches("tags.`data set` = 'digits'", facts));
  EXPECT_TRUE(Matches("tags.\"data set\" LIKE 'dig%'", facts));
  EXPECT_TRUE(Matches("attributes.status = 'FINISHED' and run_name ILIKE 'BRIGHT-%'", facts));
  EXPECT_TRUE(Matches("attribute.start_time > 50", facts));
  EXPECT_FALSE(Matches("metrics.missing > 0", facts));
  EXPECT_FALSE(Matches("run_name LIKE 'bright'", facts));
}

TEST(SearchFilterTest, RejectsMalformedFilters) {
  for (std::string_view filter : {"metrics.loss", "metrics.loss >> 1", "params.lr = 'open",
                                  "metrics.loss < 1 OR metrics.loss > 2", "= 1", "tags.`` = 'x'",
                                  "metrics.loss < abc"}) {
    absl::StatusOr<std::vector<SearchClause>> clauses = ParseSearchFilter(filter);
    EXPECT_EQ(clauses.status().code(), absl::StatusCode::kInvalidArgument) << filter;
    EXPECT_EQ(ErrorField(clauses.status()), "filter") << filter;
  }
}

TEST(SearchOrderTest, SortsWithMissingValuesLast) {
  absl::StatusOr<std::vector<SearchOrder>> order = ParseSearchOrder({"metrics.loss DESC"});
  ASSERT_TRUE(order.ok()) << order.status();
  SearchFacts low = Facts(0.1, "a", "a", 1);
  SearchFacts high = Facts(0.9, "b", "b", 2);
  SearchFacts missing;
  EXPECT_TRUE(ComesBefore(high, low, *order));
  EXPECT_FALSE(ComesBefore(low, high, *order));
  EXPECT_TRUE(ComesBefore(low, missing, *order));
  EXPECT_FALSE(ComesBefore(missing, low, *order));

  absl::StatusOr<std::vector<SearchOrder>> by_name = ParseSearchOrder({"run_name"});
  ASSERT_TRUE(by_name.ok());
  EXPECT_TRUE(ComesBefore(low, high, *by_name));
}

TEST(SearchOrderTest, RejectsBadDirection) {
  absl::StatusOr<std::vector<SearchOrder>> order = ParseSearchOrder({"start_time UP"});
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(order.status().message()), HasSubstr("ASC or DESC"));
}

}  // namespace
}  // namespace ty::server

#pragma once

// The subset of MLflow's search syntax that runs/search and
// experiments/search accept.
//
// A filter is clauses joined by AND (any case), each
// `<entity>.<key> <op> <value>`. The entity is `metrics`, `params`, `tags` or
// `attributes` (also `metric`, `param`, `tag`, `attribute`). A key without an
// entity is an attribute. A key with characters other than letters, digits,
// '_', '.', '-' and '/' goes in double quotes or backticks. Operators: `=`,
// `!=`, `<`, `<=`, `>`, `>=` and `LIKE`, `ILIKE` (with '%' and '_'
// wildcards, the second ignoring case). Values are 'single' or "double"
// quoted strings or numbers. Metrics compare as numbers; params and tags as
// strings; attributes as numbers when both sides are numbers.
//
// order_by entries are `<entity>.<key>` or an attribute, then ASC or DESC.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace ty::server {

enum class SearchEntity { kMetric, kParam, kTag, kAttribute };

// The values of a run or an experiment that filters and orderings read.
struct SearchFacts {
  std::map<std::string, nlohmann::json> attributes;  // strings or numbers
  std::map<std::string, double> metrics;              // latest values
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
};

struct SearchClause {
  SearchEntity entity = SearchEntity::kAttribute;
  std::string key;
  std::string op;      // "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE"
  nlohmann::json value;  // a string or a number
};

struct SearchOrder {
  SearchEntity entity = SearchEntity::kAttribute;
  std::string key;
  bool ascending = true;
};

// Parses `filter`; an empty or blank filter has no clauses. Errors:
// kInvalidArgument (field "filter") quoting the part that failed.
absl::StatusOr<std::vector<SearchClause>> ParseSearchFilter(std::string_view filter);

// Whether `facts` satisfy every clause. A clause on a missing metric, param,
// tag or attribute is false.
bool MatchesFilter(const SearchFacts& facts, const std::vector<SearchClause>& clauses);

// Parses order_by entries. Errors: kInvalidArgument (field "order_by").
absl::StatusOr<std::vector<SearchOrder>> ParseSearchOrder(const std::vector<std::string>& entries);

// Whether `left` comes before `right` under `order`; missing values sort
// last in both directions. Returns false when they tie on every key.
bool ComesBefore(const SearchFacts& left, const SearchFacts& right,
                 const std::vector<SearchOrder>& order);

}  // namespace ty::server

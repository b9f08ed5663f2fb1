#include "store/resources.h"

#include <utility>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::store {
namespace {

constexpr std::string_view kColumns =
    "id, type, resource_group, parent_id, name, location, properties, secret, version, "
    "created_at, updated_at";

// Parses a JSON column written by this module. A column that no longer
// parses reads as an empty object rather than failing every read of the
// collection; the value is logged nowhere because it may hold secrets.
nlohmann::json ParseColumn(const std::string& text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  return value.is_discarded() ? nlohmann::json::object() : value;
}

std::string DumpColumn(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Resource ReadResource(const Statement& statement) {
  Resource resource;
  resource.id = statement.Text(0);
  resource.type = statement.Text(1);
  resource.resource_group = statement.Text(2);
  resource.parent_id = statement.Text(3);
  resource.name = statement.Text(4);
  resource.location = statement.Text(5);
  resource.properties = ParseColumn(statement.Text(6));
  resource.secret = ParseColumn(statement.Text(7));
  resource.version = statement.Int(8);
  resource.created_at = statement.Int(9);
  resource.updated_at = statement.Int(10);
  return resource;
}

std::optional<std::string> NullIfEmpty(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return std::string(text);
}

absl::StatusOr<std::vector<std::string>> ReadIds(Statement& statement) {
  std::vector<std::string> ids;
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    ids.push_back(statement.Text(0));
  }
  return ids;
}

std::string DescribeList(const std::vector<std::string>& ids) {
  std::vector<std::string> described;
  for (const std::string& id : ids) described.push_back(DescribeResource(id));
  return absl::StrJoin(described, ", ");
}

}  // namespace

std::string GroupId(std::string_view group) { return fmt::format("/{}/{}", kResourceGroups, group); }

std::string ChildId(std::string_view parent_id, std::string_view type, std::string_view name) {
  return fmt::format("{}/{}/{}", parent_id, type, name);
}

std::string ResourceNoun(std::string_view type) {
  if (type == kResourceGroups) return "resource group";
  if (type == kConnectedClusters) return "connected cluster";
  if (type == kExtensions) return "extension";
  if (type == kRelayEndpoints) return "relay endpoint";
  if (type == kMessageQueues) return "message queue";
  if (type == kWorkspaces) return "workspace";
  if (type == kComputes) return "compute";
  if (type == kInstanceTypes) return "instance type";
  if (type == "jobs") return "job";
  return std::string(type);
}

std::string DescribeResource(std::string_view id) {
  std::vector<std::string_view> segments;
  for (size_t start = 0; start < id.size();) {
    size_t end = std::min(id.find('/', start), id.size());
    if (end > start) segments.push_back(id.substr(start, end - start));
    start = end + 1;
  }
  if (segments.size() < 2 || segments.size() % 2 != 0) return fmt::format("'{}'", id);

  // The last type and name come first, then each parent outwards.
  std::string text;
  for (size_t i = segments.size(); i >= 2; i -= 2) {
    text += fmt::format("{}{} '{}'", text.empty() ? "" : " in ", ResourceNoun(segments[i - 2]),
                        segments[i - 1]);
  }
  return text;
}

std::vector<Migration> ResourceMigrations() {
  return {{"resources_0001_create", R"sql(
CREATE TABLE resources (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  resource_group TEXT NOT NULL,
  parent_id TEXT REFERENCES resources(id),
  name TEXT NOT NULL,
  location TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT '{}',
  secret TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX resources_by_parent ON resources(parent_id, type, name);
CREATE INDEX resources_by_group ON resources(resource_group, type, name);
CREATE TABLE resource_references (
  from_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  to_id TEXT NOT NULL REFERENCES resources(id),
  PRIMARY KEY (from_id, to_id)
);
CREATE INDEX resource_references_by_target ON resource_references(to_id);
)sql"}};
}

absl::StatusOr<std::optional<Resource>> FindResource(Transaction& transaction,
                                                     std::string_view id) {
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Query(fmt::format("SELECT {} FROM resources WHERE id = ?1", kColumns),
                                     id));
  ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) return std::nullopt;
  return ReadResource(statement);
}

absl::StatusOr<Resource> GetResource(Transaction& transaction, std::string_view id) {
  ASSIGN_OR_RETURN(std::optional<Resource> resource, FindResource(transaction, id));
  if (!resource) return absl::NotFoundError(DescribeResource(id) + " not found");
  return *std::move(resource);
}

absl::Status InsertResource(Transaction& transaction, Resource& resource) {
  resource.id = resource.parent_id.empty() ? GroupId(resource.name)
                                           : ChildId(resource.parent_id, resource.type,
                                                     resource.name);
  resource.version = 1;
  resource.created_at = NowMillis();
  resource.updated_at = resource.created_at;

  if (!resource.parent_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<Resource> parent, FindResource(transaction, resource.parent_id));
    if (!parent) {
      return absl::FailedPreconditionError(
          DescribeResource(resource.parent_id) + " not found");
    }
  }

  absl::Status status = transaction.Execute(
      fmt::format("INSERT INTO resources ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                  kColumns),
      resource.id, resource.type, resource.resource_group, NullIfEmpty(resource.parent_id),
      resource.name, resource.location, DumpColumn(resource.properties),
      DumpColumn(resource.secret), resource.version, resource.created_at, resource.updated_at);
  if (absl::IsAlreadyExists(status)) {
    return FieldError(absl::StatusCode::kAlreadyExists, "name",
                      DescribeResource(resource.id) +
                          " already exists; choose another name or delete it first");
  }
  return status;
}

absl::Status UpdateResource(Transaction& transaction, Resource& resource,
                            std::optional<int64_t> expected_version) {
  ASSIGN_OR_RETURN(Resource stored, GetResource(transaction, resource.id));
  if (expected_version && *expected_version != stored.version) {
    return FieldError(absl::StatusCode::kAborted, "version",
                      fmt::format("{} is at version {}, not {}; read it again and retry with "
                                  "the current version",
                                  DescribeResource(resource.id), stored.version,
                                  *expected_version));
  }

  resource.version = stored.version + 1;
  resource.created_at = stored.created_at;
  resource.updated_at = std::max(NowMillis(), stored.updated_at);
  return transaction.Execute(
      "UPDATE resources SET location = ?2, properties = ?3, secret = ?4, version = ?5, "
      "updated_at = ?6 WHERE id = ?1",
      resource.id, resource.location, DumpColumn(resource.properties),
      DumpColumn(resource.secret), resource.version, resource.updated_at);
}

absl::Status RewriteNewResource(Transaction& transaction, const Resource& resource) {
  return transaction.Execute("UPDATE resources SET properties = ?2, secret = ?3 WHERE id = ?1",
                             resource.id, DumpColumn(resource.properties),
                             DumpColumn(resource.secret));
}

absl::StatusOr<std::vector<std::string>> Dependants(Transaction& transaction,
                                                    std::string_view id) {
  ASSIGN_OR_RETURN(Statement children, transaction.Query(
                                           "SELECT id FROM resources WHERE parent_id = ?1 "
                                           "ORDER BY type, name",
                                           id));
  ASSIGN_OR_RETURN(std::vector<std::string> ids, ReadIds(children));
  ASSIGN_OR_RETURN(std::vector<std::string> referrers, ReferencesTo(transaction, id));
  ids.insert(ids.end(), referrers.begin(), referrers.end());
  return ids;
}

absl::Status DeleteResource(Transaction& transaction, std::string_view id) {
  ASSIGN_OR_RETURN(Resource resource, GetResource(transaction, id));
  ASSIGN_OR_RETURN(std::vector<std::string> dependants, Dependants(transaction, id));
  if (!dependants.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("cannot delete {} while it is used by {}; delete or detach {} first",
                    DescribeResource(id), DescribeList(dependants),
                    dependants.size() == 1 ? "it" : "them"));
  }
  return transaction.Execute("DELETE FROM resources WHERE id = ?1", resource.id);
}

absl::Status AddReference(Transaction& transaction, std::string_view from_id,
                          std::string_view to_id) {
  return transaction.Execute(
      "INSERT OR IGNORE INTO resource_references (from_id, to_id) VALUES (?1, ?2)", from_id,
      to_id);
}

absl::Status RemoveReferences(Transaction& transaction, std::string_view from_id) {
  return transaction.Execute("DELETE FROM resource_references WHERE from_id = ?1", from_id);
}

absl::StatusOr<std::vector<std::string>> ReferencesTo(Transaction& transaction,
                                                      std::string_view to_id) {
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Query("SELECT from_id FROM resource_references WHERE to_id = ?1 "
                                     "ORDER BY from_id",
                                     to_id));
  return ReadIds(statement);
}

absl::StatusOr<ResourcePage> ListResources(Transaction& transaction, std::string_view type,
                                           std::string_view parent_id, const PageRequest& page) {
  std::string after;
  if (!page.page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(type, page.page_token));
  }

  // One row beyond the page tells whether another page follows.
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Query(fmt::format("SELECT {} FROM resources WHERE type = ?1 AND "
                                                 "parent_id IS ?2 AND name > ?3 "
                                                 "ORDER BY name LIMIT ?4",
                                                 kColumns),
                                     type, NullIfEmpty(parent_id), after, page.page_size + 1));
  ResourcePage result;
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    result.items.push_back(ReadResource(statement));
  }
  if (static_cast<int>(result.items.size()) > page.page_size) {
    result.items.pop_back();
    result.next_page_token = EncodePageToken(type, result.items.back().name);
  }
  return result;
}

absl::StatusOr<std::vector<Resource>> ListAllResources(Transaction& transaction,
                                                       std::string_view type,
                                                       std::string_view parent_id) {
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Query(fmt::format("SELECT {} FROM resources WHERE type = ?1 AND "
                                                 "parent_id IS ?2 ORDER BY name",
                                                 kColumns),
                                     type, NullIfEmpty(parent_id)));
  std::vector<Resource> items;
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    items.push_back(ReadResource(statement));
  }
  return items;
}

std::string EncodePageToken(std::string_view kind, std::string_view key) {
  return absl::WebSafeBase64Escape(fmt::format("{}\n{}", kind, key));
}

absl::StatusOr<std::string> DecodePageToken(std::string_view kind, std::string_view token) {
  std::string decoded;
  std::string prefix = fmt::format("{}\n", kind);
  if (!absl::WebSafeBase64Unescape(std::string(token), &decoded) || !absl::StartsWith(decoded, prefix)) {
    return InvalidField("pageToken",
                        fmt::format("invalid page token '{}'; pass the nextPageToken of the "
                                    "previous page of this list",
                                    token));
  }
  return decoded.substr(prefix.size());
}

}  // namespace ty::store

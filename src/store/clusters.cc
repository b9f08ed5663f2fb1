#include "store/clusters.h"

#include <openssl/crypto.h>

#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::store {
namespace {

// 32 bytes, as long as the job tokens, so guessing is hopeless.
constexpr size_t kCredentialBytes = 32;

bool SameHash(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

absl::StatusOr<CreatedCluster> CreateCluster(Transaction& transaction, const NewCluster& cluster) {
  CreatedCluster created;
  created.credential = RandomHex(kCredentialBytes);

  Resource& resource = created.resource;
  resource.type = kConnectedClusters;
  resource.resource_group = cluster.resource_group;
  resource.parent_id = GroupId(cluster.resource_group);
  resource.name = cluster.name;
  resource.location = cluster.location;
  resource.properties = {{"kind", cluster.kind},
                         {"connectivityStatus", kConnecting},
                         {"lastHeartbeat", nullptr},
                         {"agentVersion", ""},
                         {"capacity", nullptr}};
  resource.secret = {{"credentialSha256", Sha256Hex(created.credential)}};
  RETURN_IF_ERROR(InsertResource(transaction, resource));
  return created;
}

absl::StatusOr<Resource> AuthenticateCluster(Database& database, std::string_view cluster_ref,
                                             std::string_view credential) {
  const absl::Status rejected = absl::UnauthenticatedError(
      "unknown cluster or wrong credential; use the connection string printed by "
      "`trainyard connectedk8s connect`");
  size_t slash = cluster_ref.find('/');
  if (slash == std::string_view::npos || credential.empty()) return rejected;

  std::string id = ChildId(GroupId(cluster_ref.substr(0, slash)), kConnectedClusters,
                           cluster_ref.substr(slash + 1));
  ASSIGN_OR_RETURN(Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(std::optional<Resource> cluster, FindResource(transaction, id));
  // Hashing even for an unknown cluster keeps both failures equally slow.
  std::string hash = Sha256Hex(credential);
  if (!cluster) return rejected;
  std::string stored = cluster->secret.value("credentialSha256", "");
  if (!SameHash(hash, stored)) return rejected;
  return *std::move(cluster);
}

absl::Status UpdateClusterHeartbeat(Database& database, std::string_view cluster_id,
                                    const std::optional<nlohmann::json>& capacity, bool connected,
                                    int64_t time_millis, std::string_view agent_version,
                                    const std::optional<std::string>& job_namespace) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  ASSIGN_OR_RETURN(Resource cluster, GetResource(transaction, cluster_id));
  cluster.properties["connectivityStatus"] = connected ? kConnected : kOffline;
  cluster.properties["lastHeartbeat"] = FormatRfc3339(time_millis);
  if (!agent_version.empty()) cluster.properties["agentVersion"] = agent_version;
  if (capacity) cluster.properties["capacity"] = *capacity;
  if (job_namespace && job_namespace->empty()) cluster.properties.erase("jobNamespace");
  if (job_namespace && !job_namespace->empty()) cluster.properties["jobNamespace"] = *job_namespace;
  RETURN_IF_ERROR(UpdateResource(transaction, cluster));
  return transaction.Commit();
}

}  // namespace ty::store

// The log half of RelayHub: storing the output lines that agents stream.

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/relay_hub.h"
#include "store/assignments.h"
#include "store/job_logs.h"

namespace ty::server {

void RelayHub::HandleLogFrame(Session& session, std::string_view text) {
  absl::StatusOr<api::LogMessage> message = api::DecodeLogMessage(text);
  if (!message.ok()) {
    // A malformed message is acked so the agent stops resending it, which
    // needs its id from a lenient parse.
    nlohmann::json frame = nlohmann::json::parse(text, nullptr, false);
    std::string id = frame.is_object() && frame.contains("id") && frame["id"].is_string()
                         ? frame["id"].get<std::string>()
                         : std::string();
    FinishMessage(session, "log", id, message.status());
    return;
  }
  std::string id = message->id;
  FinishMessage(session, "log", id, ApplyLog(session, *std::move(message)));
}

absl::Status RelayHub::ApplyLog(Session& session, api::LogMessage message) {
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, database_.BeginRead());
    ASSIGN_OR_RETURN(std::optional<store::Assignment> assignment,
                     store::FindAssignment(transaction, message.job));
    if (!assignment || assignment->cluster_id != session.cluster_id) {
      return absl::PermissionDeniedError(absl::StrCat(
          "job '", message.job, "' is not assigned to cluster '", session.cluster_ref, "'"));
    }
  }
  store::LogChunk chunk;
  chunk.job_id = std::move(message.job);
  chunk.node = session.cluster_ref;
  chunk.rank = message.rank;
  chunk.stream = std::move(message.stream);
  chunk.offset = message.offset;
  chunk.lines = std::move(message.lines);
  return store::AppendLogLines(database_, notifier_, chunk).status();
}

}  // namespace ty::server

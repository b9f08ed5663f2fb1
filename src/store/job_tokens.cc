#include "store/job_tokens.h"

#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::store {

absl::StatusOr<std::string> IssueJobToken(Transaction& transaction, int64_t run_key) {
  std::string token = std::string(kJobTokenPrefix) + RandomHex(32);
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO job_tokens (token_sha256, run_key, created_at) VALUES (?1, ?2, ?3)",
      Sha256Hex(token), run_key, NowMillis()));
  return token;
}

absl::StatusOr<std::optional<std::string>> FindJobTokenRun(Transaction& transaction,
                                                           std::string_view token) {
  if (!token.starts_with(kJobTokenPrefix)) return std::nullopt;
  ASSIGN_OR_RETURN(Statement row, transaction.Query("SELECT r.run_id FROM job_tokens t JOIN "
                                                    "tracking_runs r ON r.run_key = t.run_key "
                                                    "WHERE t.token_sha256 = ?1",
                                                    Sha256Hex(token)));
  ASSIGN_OR_RETURN(bool found, row.Step());
  if (!found) return std::nullopt;
  return row.Text(0);
}

absl::Status RevokeJobTokens(Transaction& transaction, int64_t run_key) {
  return transaction.Execute("DELETE FROM job_tokens WHERE run_key = ?1", run_key);
}

}  // namespace ty::store

#pragma once

// Job tokens: bearer tokens that let a job's processes log to their own
// tracking run and nothing else. The token is "tyjob_" followed by 64 hex
// digits (32 random bytes). The store keeps only its SHA-256, so a copy of
// the database does not reveal live tokens.
//
// Every function runs inside the caller's Transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/database.h"

namespace ty::store {

inline constexpr std::string_view kJobTokenPrefix = "tyjob_";

// Creates a token for the run with key `run_key` and returns it. This is
// the only time the token itself is available. A run may hold several.
absl::StatusOr<std::string> IssueJobToken(Transaction& transaction, int64_t run_key);

// Returns the run id that `token` belongs to, or nullopt for a token that
// was never issued, was revoked, or lacks the prefix.
absl::StatusOr<std::optional<std::string>> FindJobTokenRun(Transaction& transaction,
                                                           std::string_view token);

// Deletes every token of the run, for example when its job reaches a final
// status. Revoking a run without tokens does nothing.
absl::Status RevokeJobTokens(Transaction& transaction, int64_t run_key);

}  // namespace ty::store

#pragma once

// Propagation macros for absl::Status and absl::StatusOr. Debian 12's abseil
// (20220623) has no status macros of its own.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TY_STATUS_CONCAT_INNER(a, b) a##b
#define TY_STATUS_CONCAT(a, b) TY_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status ty_status_ = (expr);        \
    if (!ty_status_.ok()) return ty_status_;   \
  } while (false)

// Evaluates `rexpr` (a StatusOr), returns its status on error, otherwise
// moves the value into `lhs`, which may be a declaration.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  TY_ASSIGN_OR_RETURN_IMPL(TY_STATUS_CONCAT(ty_statusor_, __LINE__), lhs, rexpr)

#define TY_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                             \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#pragma once

// Kubernetes label syntax, shared by node selectors and tolerations.

#include <string_view>

namespace ty::api {

// Kubernetes label names and values: at most 63 characters, alphanumerics,
// '-', '_' and '.', beginning and ending with an alphanumeric.
bool IsLabelName(std::string_view text);

// A label key is an optional DNS subdomain prefix of at most 253 characters
// and '/', then a label name.
bool IsLabelKey(std::string_view key);

}  // namespace ty::api

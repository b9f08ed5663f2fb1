#pragma once

// Base64 (RFC 4648, standard alphabet, padded) as Kubernetes uses it for
// the *-data fields of a kubeconfig and the binaryData of a ConfigMap.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ty::kube {

std::string Base64Encode(std::string_view data);

// Decodes padded base64; whitespace (line breaks) is ignored. Errors:
// kInvalidArgument for other characters or a length that is not a multiple
// of 4.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace ty::kube

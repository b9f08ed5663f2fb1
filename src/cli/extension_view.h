#pragma once

// Table output of extensions.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace ty::cli {

// Renders one extension: type, scope, install state, each component's state
// and message, the provisioned resources, the effective settings, and the
// protected settings by key only (the server never returns their values).
std::string RenderExtension(const nlohmann::json& extension);

// Renders a list of extensions, one row each.
std::string RenderExtensionList(const nlohmann::json& extensions);

// Renders the result of a delete, {"deleted": [ids], "remaining": [ids]}.
std::string RenderExtensionDeletion(std::string_view name, const nlohmann::json& result);

}  // namespace ty::cli

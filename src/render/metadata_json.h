// The instance model as JSON, for metadata.json in the state dir (0644).
// Written by hand with json_escape (picojson stays in its one file). Keys in
// a fixed order; bytes that are not valid UTF-8 become U+FFFD so the document
// is always valid JSON.
//
// Left out on purpose, because the file is world-readable: user-data
// (written to its own 0600 file), and raw entries whose path names user-data
// or credentials ("user-data", "user_data", "iam/security-credentials",
// "identity-credentials").
#pragma once

#include "metadata/model.h"

#include <string>
#include <string_view>

namespace mb::render {

std::string metadata_to_json(const InstanceMetadata& metadata);

// A JSON string literal (with the quotes) for arbitrary bytes.
std::string json_string(std::string_view bytes);

}

// The instance model as JSON, for metadata.json in the state dir (0644) and
// the `--json` outputs. Through the common JsonWriter; keys in a fixed
// order.
//
// Left out on purpose, because the file is world-readable: user-data
// (written to its own 0600 file), and raw entries whose path names user-data
// or credentials ("user-data", "user_data", "iam/security-credentials",
// "identity-credentials").
#pragma once

#include "common/json_writer.h"
#include "model/instance.h"

#include <string>
#include <string_view>

namespace mb {

std::string metadata_to_json(const InstanceMetadata& metadata);
// The same document as a value inside a larger one.
void write_metadata(JsonWriter& json, const InstanceMetadata& metadata);
// Its members alone, for a document that adds its own beside them.
void write_metadata_fields(JsonWriter& json, const InstanceMetadata& metadata);

}

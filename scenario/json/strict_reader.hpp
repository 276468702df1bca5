// The strict JSON reader of scenario and policy files: syntax errors with line and column, and
// what nlohmann's own parser would accept silently (duplicate keys: the last would win) or
// recurse on (deep nesting) rejected with the JSON pointer of the offending value.
#pragma once

#include <string>

#include "scenario/json/json_text.hpp"

namespace schedcheck::json_format {

// Throws ScenarioError(file, pointer, what).
Json parse_strict(const std::string& text, const std::string& file);
// The file's bytes (at most kMaxFileBytes); an unreadable file or a folder is a ScenarioError.
std::string read_text_file(const std::string& path);

}  // namespace schedcheck::json_format

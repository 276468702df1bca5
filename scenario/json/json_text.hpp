// Shared by the scenario reader, loader and saver: the document type, JSON pointers (RFC 6901)
// and the pieces of error messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace schedcheck::json_format {

using Json = nlohmann::ordered_json;

// "/a/b" + key (escaped: '~' as "~0", '/' as "~1") or + index.
std::string at(const std::string& path, std::string_view key);
std::string at(const std::string& path, std::size_t index);
std::string in_quotes(std::string_view text);
// "an object", "a string", ... for "expected X, got Y" messages.
std::string describe(const Json& j);
// "1e+30" rather than the shortest round-trip form "9.999999999999999e+22" of 1e23.
std::string short_float(double d);

template <typename Range>
std::string join(const Range& names, std::string_view sep = ", ") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : std::string(sep)) + std::string(n);
  return out;
}

}  // namespace schedcheck::json_format

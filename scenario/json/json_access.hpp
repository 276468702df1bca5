// Validated access to a parsed document: every accessor checks the type (and range) of what it
// reads and otherwise throws a ScenarioError naming the file, the JSON pointer and what was
// expected.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "scenario/json/json_text.hpp"

namespace schedcheck::json_format {

class JsonAccess {
 public:
  explicit JsonAccess(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& path, const std::string& message) const;

  void check_keys(const Json& obj, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const;

  // Checks that j is an object with only the allowed keys.
  const Json& object(const Json& j, const std::string& path,
                     std::initializer_list<std::string_view> allowed) const;

  static const Json* optional(const Json& obj, const std::string& key);

  const Json& required(const Json& obj, const std::string& path, const std::string& key) const;

  std::string string(const Json& j, const std::string& path) const;

  std::string name(const Json& j, const std::string& path) const;

  bool boolean(const Json& j, const std::string& path) const;

  const Json& array(const Json& j, const std::string& path) const;

  // An unsigned integer in [lo, hi]; floating-point numbers are rejected even when integral.
  uint64_t unsigned_in(const Json& j, const std::string& path, uint64_t lo, uint64_t hi) const;

  int small_int(const Json& j, const std::string& path, uint64_t lo, uint64_t hi) const;

  void claim(std::unordered_map<std::string, std::string>& table, const std::string& n,
             const std::string& path, std::string_view what) const;

 protected:
  const std::string& file_;
};

}  // namespace schedcheck::json_format

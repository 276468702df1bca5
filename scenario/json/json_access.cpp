#include "scenario/json/json_access.hpp"

#include <algorithm>
#include <cmath>

#include "scenario/json/limits.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck::json_format {

void JsonAccess::fail(const std::string& path, const std::string& message) const {
  throw ScenarioError(file_, path, message);
}

void JsonAccess::check_keys(const Json& obj, const std::string& path,
                std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(at(path, key), "unknown key " + in_quotes(key) + " (allowed: " + join(allowed) + ")");
  }
}

const Json& JsonAccess::object(const Json& j, const std::string& path,
                   std::initializer_list<std::string_view> allowed) const {
  if (!j.is_object()) fail(path, "expected an object, got " + describe(j));
  check_keys(j, path, allowed);
  return j;
}

const Json* JsonAccess::optional(const Json& obj, const std::string& key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const Json& JsonAccess::required(const Json& obj, const std::string& path, const std::string& key) const {
  const Json* v = optional(obj, key);
  if (!v) fail(path, "missing required field " + in_quotes(key));
  return *v;
}

std::string JsonAccess::string(const Json& j, const std::string& path) const {
  if (!j.is_string()) fail(path, "expected a string, got " + describe(j));
  return j.get<std::string>();
}

std::string JsonAccess::name(const Json& j, const std::string& path) const {
  std::string n = string(j, path);
  if (n.empty()) fail(path, "a name must not be empty");
  return n;
}

bool JsonAccess::boolean(const Json& j, const std::string& path) const {
  if (!j.is_boolean()) fail(path, "expected a boolean, got " + describe(j));
  return j.get<bool>();
}

const Json& JsonAccess::array(const Json& j, const std::string& path) const {
  if (!j.is_array()) fail(path, "expected an array, got " + describe(j));
  return j;
}

uint64_t JsonAccess::unsigned_in(const Json& j, const std::string& path, uint64_t lo, uint64_t hi) const {
  auto range = [&](const std::string& got) {
    return "expected an unsigned integer in " + std::to_string(lo) + " .. " + limit_text(hi) +
           ", got " + got;
  };
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v < lo || v > hi) fail(path, range(std::to_string(v)));
    return v;
  }
  if (j.is_number_integer()) fail(path, range(std::to_string(j.get<int64_t>())));
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::floor(d) == d && (d < static_cast<double>(lo) || d > static_cast<double>(hi)))
      fail(path, range(short_float(d)));
    fail(path, "expected an unsigned integer, got a floating-point number (" + j.dump() + ")");
  }
  fail(path, "expected an unsigned integer, got " + describe(j));
}

int JsonAccess::small_int(const Json& j, const std::string& path, uint64_t lo, uint64_t hi) const {
  return static_cast<int>(unsigned_in(j, path, lo, hi));
}

void JsonAccess::claim(std::unordered_map<std::string, std::string>& table, const std::string& n,
           const std::string& path, std::string_view what) const {
  auto [it, inserted] = table.emplace(n, path);
  if (!inserted)
    fail(path, "duplicate " + std::string(what) + " name " + in_quotes(n) +
                   " (first defined at " + it->second + ")");
}

}  // namespace schedcheck::json_format

// One-line JSON objects, flat (strings, numbers, booleans, null): written by the bench, read
// back by the summarizer. No dependency: the GPU machine has only a compiler, CMake and CUDA.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace gsb {

class JsonWriter {
 public:
  JsonWriter& add(const std::string& key, const std::string& value);
  JsonWriter& add(const std::string& key, const char* value) {
    return add(key, std::string(value));
  }
  JsonWriter& add(const std::string& key, long long value);
  JsonWriter& add(const std::string& key, int value) {
    return add(key, static_cast<long long>(value));
  }
  JsonWriter& add(const std::string& key, double value);  // non-finite: null
  JsonWriter& add(const std::string& key, bool value);
  std::string line() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& k);
  std::string body_;
};

struct JsonValue {
  enum class Kind { string, number, boolean, null } kind = Kind::null;
  std::string text;  // string
  double number = 0;
  bool boolean = false;
};

using JsonObject = std::map<std::string, JsonValue>;

// Throws std::runtime_error("column N: ...") unless `line` is one flat JSON object.
JsonObject parse_json_line(std::string_view line);

}  // namespace gsb

// Cache keys of what the bridge builds (plugins, ggml's backends): FNV-1a over the content of
// the inputs, 64 bits. A cache key, not a security boundary.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace schedcheck {

struct ContentHash {
  uint64_t value = 1469598103934665603ull;
  ContentHash& add(std::string_view bytes) {
    for (unsigned char c : bytes) value = (value ^ c) * 1099511628211ull;
    value = (value ^ 0xff) * 1099511628211ull;  // separator
    return *this;
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
    return buf;
  }
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace schedcheck

#include "json_line.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace gsb {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  JsonObject object() {
    JsonObject out;
    expect('{');
    skip();
    if (peek() == '}') {
      ++i_;
      return finish(out);
    }
    for (;;) {
      skip();
      std::string k = string();
      skip();
      expect(':');
      skip();
      out[k] = value();
      skip();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return finish(out);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("column " + std::to_string(i_ + 1) + ": " + what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  JsonObject finish(JsonObject& o) {
    skip();
    if (i_ != s_.size()) fail("unexpected text after the object");
    return o;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) fail("unterminated escape");
        const char e = s_[i_++];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'u': {
            if (i_ + 4 > s_.size()) fail("short \\u escape");
            const unsigned code = static_cast<unsigned>(
                std::strtoul(std::string(s_.substr(i_, 4)).c_str(), nullptr, 16));
            i_ += 4;
            out += code < 0x80 ? static_cast<char>(code) : '?';
            break;
          }
          default:
            fail("unknown escape");
        }
      } else {
        out += c;
      }
    }
    expect('"');
    return out;
  }
  JsonValue value() {
    JsonValue v;
    const char c = peek();
    if (c == '"') {
      v.kind = JsonValue::Kind::string;
      v.text = string();
    } else if (s_.substr(i_, 4) == "true" || s_.substr(i_, 5) == "false") {
      v.kind = JsonValue::Kind::boolean;
      v.boolean = c == 't';
      i_ += v.boolean ? 4 : 5;
    } else if (s_.substr(i_, 4) == "null") {
      i_ += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::string rest(s_.substr(i_, 64));
      char* end = nullptr;
      v.number = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str()) fail("expected a number");
      v.kind = JsonValue::Kind::number;
      i_ += static_cast<size_t>(end - rest.c_str());
    } else {
      fail("expected a string, number, true, false or null (nested values are not read)");
    }
    return v;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

void JsonWriter::key(const std::string& k) {
  if (!body_.empty()) body_ += ",";
  body_ += quoted(k) + ":";
}

JsonWriter& JsonWriter::add(const std::string& k, const std::string& value) {
  key(k);
  body_ += quoted(value);
  return *this;
}

JsonWriter& JsonWriter::add(const std::string& k, long long value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::add(const std::string& k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    body_ += "null";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    body_ += buf;
  }
  return *this;
}

JsonWriter& JsonWriter::add(const std::string& k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject parse_json_line(std::string_view line) {
  return Parser(line).object();
}

}  // namespace gsb

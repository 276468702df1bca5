#include "scenario/json/json_text.hpp"

#include <cstdio>

namespace schedcheck::json_format {

// RFC 6901: '~' and '/' in a key are escaped as "~0" and "~1".
namespace {

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string at(const std::string& path, std::string_view key) {
  return path + "/" + pointer_token(key);
}
std::string at(const std::string& path, std::size_t index) {
  return path + "/" + std::to_string(index);
}

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string describe(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a floating-point number";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    default:
      return "an unsupported value";
  }
}

std::string short_float(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", d);
  return text;
}

}  // namespace schedcheck::json_format

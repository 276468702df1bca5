// The error for bad input: names the file, the JSON path (RFC 6901 pointer) and what was
// expected. The CLI turns it into exit code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace schedcheck {

class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, std::string json_path, std::string message)
      : std::runtime_error(file + ": " + (json_path.empty() ? "/" : json_path) + ": " + message),
        file_(std::move(file)),
        path_(std::move(json_path)),
        message_(std::move(message)) {}
  const std::string& file() const { return file_; }
  const std::string& json_path() const { return path_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::string path_;
  std::string message_;
};

}  // namespace schedcheck

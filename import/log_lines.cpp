#include "import/log_lines.hpp"

#include <cctype>
#include <cstdint>

namespace schedcheck::import {
namespace {

constexpr std::string_view kSplit = "## SPLIT #";
constexpr std::string_view kNode = "node #";
constexpr std::size_t kMinPrefix = 4;

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

bool number_at(std::string_view text, std::size_t pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  return pos < text.size() && is_digit(text[pos]);
}

// The first record marker at or after `from`, or npos.
std::size_t find_record(std::string_view text, std::size_t from) {
  for (std::size_t pos = from; pos < text.size(); ++pos)
    if (starts_record(text, pos)) return pos;
  return std::string_view::npos;
}

// A prefix with its digits made wildcards: the same logger prints "0.01.234.567 D " before
// every piece, with other digits each time.
bool matches_prefix(std::string_view text, std::size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > text.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char want = prefix[i];
    const char got = text[pos + i];
    if (is_digit(want) ? !is_digit(got) : want != got) return false;
  }
  return true;
}

std::string_view trim_right(std::string_view s);

// Every copy of the prefix, also one at the end of the line that lost its trailing blanks when
// the paste was trimmed.
std::string remove_prefix_copies(std::string_view text, std::string_view prefix) {
  const std::string_view bare = trim_right(prefix);
  std::string out;
  for (std::size_t pos = 0; pos < text.size();) {
    if (matches_prefix(text, pos, prefix)) {
      pos += prefix.size();
    } else if (pos + bare.size() == text.size() && matches_prefix(text, pos, bare)) {
      break;
    } else {
      out += text[pos++];
    }
  }
  return out;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t') return false;
  return true;
}

// A piece the printer continues a record with: an input "[name (size)]", a ": " before them, or
// a source "name (size) [backend cause]".
bool looks_like_continuation(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  s.remove_prefix(i);
  if (s.starts_with(": [") || s == ":" || s.starts_with("["))
    return s.find(')') != s.npos || s == ":";
  const std::size_t close = s.find(") [");
  return close != s.npos && s.find(']', close) != s.npos;
}

}  // namespace

bool starts_record(std::string_view text, std::size_t pos) {
  const std::string_view rest = text.substr(pos);
  if (rest.starts_with(kSplit)) return number_at(text, pos + kSplit.size());
  if (rest.starts_with(kNode)) return number_at(text, pos + kNode.size());
  return false;
}

// The logger's prefix: what stands before the first record of the first line that has one, if
// it is long enough not to be mistaken for the dump's own text. Learnt before reading, as the
// paste's first line may hold a prefix inside only ("## SPLIT #0: CPU # 0 inputs0.01.244.604 D").
static std::string learn_prefix(std::string_view paste) {
  std::size_t start = 0;
  while (start < paste.size()) {
    std::size_t end = paste.find('\n', start);
    if (end == std::string_view::npos) end = paste.size();
    const std::string_view raw = paste.substr(start, end - start);
    const std::size_t first = find_record(raw, 0);
    if (first != std::string_view::npos && first >= kMinPrefix && !blank(raw.substr(0, first)))
      return std::string(raw.substr(0, first));
    start = end + 1;
  }
  return {};
}

// The paste with every byte that is not part of valid UTF-8 replaced by U+FFFD: names go into a
// JSON scenario, which is UTF-8 (a Latin-1 paste would otherwise make an unwritable file).
static std::string valid_utf8(std::string_view in, int& replaced) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    bool ok = n > 0 && i + n <= in.size();
    for (std::size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (ok && n > 1) {
      // Overlong forms, surrogates and code points above U+10FFFF are not UTF-8 either.
      uint32_t cp = c & (0xFF >> (n + 1));
      for (std::size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[n] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++replaced;
      ++i;
    }
  }
  return out;
}

LogLines split_log(std::string_view raw_paste) {
  LogLines out;
  const std::string text_utf8 = valid_utf8(raw_paste, out.invalid_utf8);
  const std::string_view paste = text_utf8;
  std::string prefix = learn_prefix(paste);
  if (!prefix.empty()) {
    out.prefixes = true;
    out.example_prefix = prefix;
  }
  int line_no = 0;
  std::size_t start = 0;
  while (start <= paste.size()) {
    std::size_t end = paste.find('\n', start);
    if (end == std::string_view::npos) end = paste.size();
    std::string_view raw = paste.substr(start, end - start);
    ++line_no;
    start = end + 1;
    if (end == paste.size() && raw.empty()) break;
    if (!raw.empty() && raw.back() == '\r') {
      out.crlf = true;
      raw.remove_suffix(1);
    }
    const std::size_t first = find_record(raw, 0);
    // A logger's prefix: what stands before the first record of a line, if it is long enough
    // not to be mistaken for the dump's own text.
    if (first != std::string_view::npos && first >= kMinPrefix && !blank(raw.substr(0, first)))
      prefix = std::string(raw.substr(0, first));
    std::string text(raw);
    if (first != std::string_view::npos && first > 0) text = text.substr(first);
    if (!prefix.empty()) text = remove_prefix_copies(text, prefix);
    text = std::string(trim_right(text));
    if (blank(text)) {
      out.records.push_back({LogRecord::Kind::blank, line_no, {}});
      continue;
    }
    if (text.find_first_not_of(" .\t") == std::string::npos || text == "\u2026" ||
        text == "[...]") {
      out.records.push_back({LogRecord::Kind::elision, line_no, text});
      continue;
    }
    if (first == std::string_view::npos) {
      const bool piece = looks_like_continuation(text) && !out.records.empty() &&
                         (out.records.back().kind == LogRecord::Kind::split_header ||
                          out.records.back().kind == LogRecord::Kind::node ||
                          out.records.back().kind == LogRecord::Kind::continuation);
      out.records.push_back(
          {piece ? LogRecord::Kind::continuation : LogRecord::Kind::other, line_no, text});
      continue;
    }
    // One record per marker: a logger that drops the printer's newlines joins records.
    std::string_view rest = text;
    std::size_t at = find_record(rest, 0);
    while (at != std::string_view::npos) {
      const std::size_t next = find_record(rest, at + 1);
      std::string_view piece =
          rest.substr(at, next == std::string_view::npos ? rest.npos : next - at);
      const bool split = piece.starts_with(kSplit);
      out.records.push_back({split ? LogRecord::Kind::split_header : LogRecord::Kind::node, line_no,
                             std::string(trim_right(piece))});
      at = next;
    }
  }
  return out;
}

}  // namespace schedcheck::import

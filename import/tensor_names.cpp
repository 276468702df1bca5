#include "import/tensor_names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace schedcheck::import {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  const auto it =
      std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  return it != hay.end();
}

// ggml's view-op name suffixes (ggml.c: ggml_format_name "%s (view)", ...).
constexpr std::array<std::string_view, 6> kViewSuffixes = {"view)",       "reshaped)", "permuted)",
                                                           "transposed)", "copy of ",  "cont)"};

}  // namespace

std::optional<CopyName> parse_copy_name(std::string_view name) {
  const std::size_t hash = name.find('#');
  if (hash == std::string_view::npos || hash == 0) return std::nullopt;
  const std::string_view backend = name.substr(0, hash);
  // Backend names: letters, digits, "[host:port]" for RPC; never spaces.
  if (backend.find(' ') != std::string_view::npos ||
      !std::isalpha(static_cast<unsigned char>(backend.front())))
    return std::nullopt;
  CopyName c;
  c.backend = std::string(backend);
  std::string_view rest = name.substr(hash + 1);
  const std::size_t last = rest.rfind('#');
  if (last != std::string_view::npos && all_digits(rest.substr(last + 1))) {
    c.index = std::stoi(std::string(rest.substr(last + 1)));
    rest = rest.substr(0, last);
  }
  if (rest.empty()) return std::nullopt;
  c.base = std::string(rest);
  return c;
}

std::string view_base(std::string_view name) {
  std::size_t from = 0;
  while (true) {
    const std::size_t open = name.find(" (", from);
    if (open == std::string_view::npos) return std::string(name);
    const std::string_view rest = name.substr(open + 2);
    for (std::string_view suffix : kViewSuffixes) {
      const bool whole = rest.starts_with(suffix);
      const bool cut = suffix.starts_with(rest);  // "x (vi", "x (" of a name cut at 20
      if (whole || cut) return std::string(name.substr(0, open));
    }
    from = open + 2;
  }
}

bool looks_like_user_input(std::string_view name) {
  return name.starts_with("inp_") || contains_ci(name, "mask") || name.ends_with("idxs") ||
         name.starts_with("k_idxs") || name.starts_with("v_idxs") || name == "pos" ||
         name == "tokens" || name.starts_with("inp-");
}

bool looks_like_weight(std::string_view name) {
  return name.ends_with(".weight") || name.ends_with(".bias") ||
         name.find(".weight") != name.npos || name.starts_with("token_embd") ||
         name.starts_with("output.") || name.starts_with("blk.");
}

bool looks_like_kv_cache(std::string_view name) {
  return name.starts_with("cache_") || name.starts_with("k_cache") || name.starts_with("v_cache") ||
         name.starts_with("k_l") || name.starts_with("v_l") || contains_ci(name, "kv_cache");
}

bool may_be_cut(std::string_view printed) {
  return printed.size() == kPrintedNameWidth;
}

bool printed_as(std::string_view printed, std::string_view full) {
  if (printed == full) return true;
  return may_be_cut(printed) && full.size() > printed.size() && full.starts_with(printed);
}

}  // namespace schedcheck::import

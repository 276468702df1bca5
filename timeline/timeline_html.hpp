// A timeline (timeline/timeline.hpp) as one self-contained HTML page: the report's header and
// findings, a legend, and the lanes drawn as inline SVG with hover text in <title> elements.
// No script, no network, no external file: it opens anywhere and prints as it shows.
#pragma once

#include <string>
#include <string_view>

#include "timeline/timeline.hpp"

namespace schedcheck {

std::string timeline_html(const Timeline& t);

// `text` safe inside HTML/SVG text and attribute values: & < > " ' escaped, control characters
// other than newline and tab replaced.
std::string html_escape(std::string_view text);

}  // namespace schedcheck

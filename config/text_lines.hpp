// Line reading shared by the password file and the ACL file parsers.
#pragma once

#include <cstddef>
#include <string_view>

namespace mqgate::config {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Takes the next meaningful line off `text` into `line` (trimmed; blank lines
// and '#' comments skipped), counting every line in `number` so errors can
// name it. False at the end of the text.
inline bool next_line(std::string_view& text, std::size_t& number, std::string_view& line) {
    while (!text.empty()) {
        ++number;
        const auto nl = text.find('\n');
        line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.front() != '#') return true;
    }
    return false;
}

}  // namespace mqgate::config

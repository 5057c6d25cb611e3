// Walking a topic name or filter one level at a time without allocating:
// shared by the subscription tree and the retained store.
#pragma once

#include <string_view>

namespace mqgate::mqtt::detail {

// "a/b/c" splits into "a" and "b/c"; `last` is set when no '/' follows, which
// keeps "a/" (two levels, the second empty) apart from "a" (one level).
struct LevelSplit {
    std::string_view level;
    std::string_view rest;
    bool last;
};

inline LevelSplit split_level(std::string_view s) noexcept {
    const auto slash = s.find('/');
    if (slash == std::string_view::npos) return {s, {}, true};
    return {s.substr(0, slash), s.substr(slash + 1), false};
}

}  // namespace mqgate::mqtt::detail

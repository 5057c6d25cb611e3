// Checks JSON input before it is parsed into a value: nlohmann::json keeps
// the last of two equal keys while other readers (a proxy, a script) may take
// the first, so a duplicate key is refused rather than resolved; and nesting
// is bounded so a small input cannot build an arbitrarily deep value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mqgate::json_check {

inline constexpr std::size_t default_max_depth = 64;

struct Defect {
    enum class Kind { syntax, duplicate_key, too_deep } kind;
    std::string message;  // e.g. "duplicate key 'topic'"; syntax: the parser's "parse error at line 1, ..."
    std::string key;      // duplicate_key: the key's path, e.g. "mqtt.max_inflight" or "tokens[1].name"
};

// The first defect of `text`, or nullopt when it is valid JSON without one.
std::optional<Defect> check(std::string_view text, bool allow_comments = false,
                            std::size_t max_depth = default_max_depth);

}  // namespace mqgate::json_check

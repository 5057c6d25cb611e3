#include "config/acl.hpp"
#include "config/auth_file.hpp"
#include "config/text_lines.hpp"

#include <optional>

#include "mqtt/topic.hpp"

namespace mqgate::config {
namespace {

std::vector<std::string_view> levels(std::string_view s) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto slash = s.find('/');
        out.push_back(s.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        s.remove_prefix(slash + 1);
    }
}

// The first word and the trimmed rest.
std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
    const auto end = s.find_first_of(" \t");
    if (end == std::string_view::npos) return {s, {}};
    return {s.substr(0, end), trim(s.substr(end))};
}

// A substituted value that would add levels or wildcards widens the rule
// (a user named "#"): such a pattern grants nothing to that client.
bool substitutable(std::string_view value) {
    return !value.empty() && value.find_first_of("/+#") == std::string_view::npos;
}

std::optional<std::string> substitute(std::string_view pattern, std::string_view username, std::string_view client_id) {
    std::string out;
    out.reserve(pattern.size() + 16);
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '%' && i + 1 < pattern.size() && (pattern[i + 1] == 'u' || pattern[i + 1] == 'c')) {
            const std::string_view value = pattern[i + 1] == 'u' ? username : client_id;
            if (!substitutable(value)) return std::nullopt;
            out += value;
            ++i;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

}  // namespace

bool filter_covers(std::string_view rule, std::string_view filter) {
    const auto r = levels(rule);
    const auto f = levels(filter);
    const bool dollar = !filter.empty() && filter.front() == '$';
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (i >= r.size()) return false;
        if (r[i] == "#") return !(i == 0 && dollar);
        if (f[i] == "#") return false;
        if (r[i] == "+") {
            if (i == 0 && dollar) return false;
            continue;
        }
        if (r[i] != f[i]) return false;
    }
    return r.size() == f.size() || (r.size() == f.size() + 1 && r.back() == "#");
}

bool Acl::grants(const Rule& rule, std::string_view filter, std::string_view topic_or_filter, mqtt::Access access) {
    if (access == mqtt::Access::write) return rule.write && mqtt::topic_matches(filter, topic_or_filter);
    return rule.read && filter_covers(filter, topic_or_filter);
}

bool Acl::allows(std::string_view username, std::string_view client_id, std::string_view topic_or_filter,
                 mqtt::Access access) const {
    const std::vector<Rule>* own = &anonymous_;
    if (!username.empty()) {
        const auto it = users_.find(username);
        own = it == users_.end() ? nullptr : &it->second;
    }
    if (own) {
        for (const auto& rule : *own)
            if (grants(rule, rule.filter, topic_or_filter, access)) return true;
    }
    for (const auto& rule : patterns_) {
        if (!(access == mqtt::Access::write ? rule.write : rule.read)) continue;
        const auto filter = substitute(rule.filter, username, client_id);
        if (filter && grants(rule, *filter, topic_or_filter, access)) return true;
    }
    return false;
}

Acl Acl::parse(std::string_view text, const std::string& source) {
    Acl acl;
    std::vector<Rule>* section = &acl.anonymous_;
    std::size_t number = 0;
    std::string_view line;
    while (next_line(text, number, line)) {
        const auto [keyword, rest] = split_word(line);
        if (keyword == "user") {
            if (rest.empty()) throw AuthFileError(source, number, "'user' needs a username");
            section = &acl.users_[std::string(rest)];
            continue;
        }
        if (keyword != "topic" && keyword != "pattern")
            throw AuthFileError(source, number,
                                "unknown keyword '" + std::string(keyword) + "' (expected user, topic or pattern)");
        Rule rule;
        auto [word, filter] = split_word(rest);
        if (word == "read") {
            rule.read = true;
        } else if (word == "write") {
            rule.write = true;
        } else if (word == "readwrite") {
            rule.read = rule.write = true;
        } else if (word == "deny") {
            throw AuthFileError(source, number, "'deny' is not supported: rules only grant, the rest is denied");
        } else {
            rule.read = rule.write = true;
            filter = rest;
        }
        if (filter.empty()) throw AuthFileError(source, number, "'" + std::string(keyword) + "' needs a topic filter");
        rule.filter = std::string(filter);
        const bool pattern = keyword == "pattern";
        // A pattern is checked with its substitutions standing in as one level.
        const auto checked = pattern ? substitute(rule.filter, "u", "c") : std::optional<std::string>(rule.filter);
        if (const auto ec = mqtt::validate_topic_filter(*checked))
            throw AuthFileError(source, number, "invalid topic filter '" + rule.filter + "': " + ec.message());
        (pattern ? acl.patterns_ : *section).push_back(std::move(rule));
    }
    return acl;
}

Acl Acl::load(const std::string& path) { return parse(read_auth_file(path), path); }

}  // namespace mqgate::config

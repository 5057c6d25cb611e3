// The ACL file, in Mosquitto's syntax so existing files port as they are:
//
//   # rules before any `user` line apply to anonymous clients
//   topic read sensors/#
//   user alice
//   topic readwrite home/alice/#
//   topic write cmd/+/set          (access word optional: readwrite)
//   pattern write devices/%c/state  (every client; %u username, %c client id)
//
// Rules only grant: what no rule grants is denied. A PUBLISH topic needs a
// write rule whose filter matches it; a SUBSCRIBE filter needs a read rule
// whose filter covers it (filter_covers below), so a subscription can never
// receive a topic its rules do not grant.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/auth_file_error.hpp"
#include "mqtt/auth.hpp"

namespace mqgate::config {

// Is every topic `filter` can match also matched by `rule`? Level by level:
// `#` in the rule covers the rest (and the parent level: `a/#` covers `a`),
// `+` in the rule covers one level that is a name or `+`, a name covers only
// itself; a `#` or `+` in `filter` needs a rule wildcard there. A first-level
// rule wildcard never covers a `$` topic [MQTT-4.7.2-1]. So `a/#` covers
// `a/+/c` and `a/#`, but `a/+` covers neither `a/#` nor `a/b/c`.
bool filter_covers(std::string_view rule, std::string_view filter);

class Acl {
public:
    // Throws AuthFileError naming `source` and the line.
    static Acl parse(std::string_view text, const std::string& source);
    static Acl load(const std::string& path);

    // `username` empty: an anonymous client. `topic_or_filter`: a topic for
    // write, a filter for read.
    bool allows(std::string_view username, std::string_view client_id, std::string_view topic_or_filter,
                mqtt::Access access) const;

private:
    struct Rule {
        bool read = false;
        bool write = false;
        std::string filter;
    };

    static bool grants(const Rule& rule, std::string_view filter, std::string_view topic_or_filter, mqtt::Access access);

    std::vector<Rule> anonymous_;
    std::map<std::string, std::vector<Rule>, std::less<>> users_;
    std::vector<Rule> patterns_;  // every client, after substitution
};

}  // namespace mqgate::config

// The operator's files: config JSON, password file, ACL file and token file.
// The first byte picks the parser, the rest is the file. A parser may refuse
// a file only with its own error (ConfigError, AuthFileError), which start-up
// turns into exit code 2; anything else escaping is a finding (start-up would
// die on an uncaught exception). What parses is written back and read again
// to the same thing.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/acl.hpp"
#include "config/authorizer.hpp"
#include "config/config.hpp"
#include "config/password_file.hpp"
#include "mqtt/topic.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace mqgate;

namespace {

void config_json(const std::string& text) {
    config::Config c;
    try {
        config::apply_json_text(c, text, "fuzz.json");
    } catch (const config::ConfigError&) {
        return;
    }
    const auto written = config::to_json(c);
    config::Config again;
    config::apply_json(again, written, "written.json");
    FUZZ_CHECK(config::to_json(again) == written);
}

void password_file(std::string_view text) {
    std::string serialized;
    try {
        serialized = config::PasswordFile::parse(text, "passwd").serialize();
    } catch (const config::AuthFileError&) {
        return;
    }
    const auto again = config::PasswordFile::parse(serialized, "written");
    FUZZ_CHECK(again.serialize() == serialized);
}

// Splits the text at the first NUL: the ACL before it, a probe after it.
void acl_file(std::string_view text) {
    const auto nul = text.find('\0');
    const auto probe = nul == std::string_view::npos ? std::string_view("a/b") : text.substr(nul + 1);
    text = text.substr(0, nul);
    try {
        const auto acl = config::Acl::parse(text, "acl");
        for (const auto user : {"", "alice", "bob"}) {
            acl.allows(user, "client", probe, mqtt::Access::read);
            acl.allows(user, "client", probe, mqtt::Access::write);
        }
    } catch (const config::AuthFileError&) {
    }
    // A rule that covers a filter grants every topic the filter matches.
    const auto slash = probe.find('\n');
    if (slash == std::string_view::npos) return;
    const auto rule = probe.substr(0, slash);
    const auto rest = probe.substr(slash + 1);
    const auto filter = rest.substr(0, rest.find('\n'));
    const auto topic = rest.find('\n') == std::string_view::npos ? std::string_view() : rest.substr(rest.find('\n') + 1);
    if (mqtt::validate_topic_filter(rule) || mqtt::validate_topic_filter(filter) || mqtt::validate_topic_name(topic))
        return;
    if (config::filter_covers(rule, filter) && mqtt::topic_matches(filter, topic))
        FUZZ_CHECK(mqtt::topic_matches(rule, topic));
}

void token_file(std::string_view text) {
    try {
        for (const auto& t : config::parse_token_file(text, "tokens")) FUZZ_CHECK(!t.name.empty());
    } catch (const config::AuthFileError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: config_json(text); break;
    case 1: password_file(text); break;
    case 2: acl_file(text); break;
    default: token_file(text); break;
    }
    return 0;
}

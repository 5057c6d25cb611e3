#include "config/webhook_checks.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>

namespace mqgate::config {

namespace {

constexpr std::array<std::string_view, 12> event_names{
    "client.connected",     "client.disconnected", "will.published",     "session.subscribed",
    "session.unsubscribed", "client.kicked",       "client.auth_failed", "command.sent",
    "command.acked",        "command.replied",     "command.expired",    "message.publish"};

bool has_bad_char(std::string_view s) {
    for (unsigned char c : s)
        if (c <= 0x20 || c == 0x7f) return true;
    return false;
}

}  // namespace

std::optional<WebhookUrl> parse_webhook_url(std::string_view url, std::string& why) {
    WebhookUrl out;
    if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else if (url.starts_with("https://")) {
        out.tls = true;
        url.remove_prefix(8);
    } else {
        why = "must start with http:// or https://";
        return std::nullopt;
    }
    if (has_bad_char(url)) {
        why = "must not contain spaces or control characters";
        return std::nullopt;
    }
    if (url.find('#') != std::string_view::npos) {
        why = "must not have a fragment (#...)";
        return std::nullopt;
    }
    const auto slash = url.find_first_of("/?");
    std::string_view authority = url.substr(0, slash);
    out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (out.target.front() == '?') out.target.insert(0, "/");
    if (authority.find('@') != std::string_view::npos) {
        why = "must not carry user info (user@host): put credentials in headers";
        return std::nullopt;
    }
    std::string_view port_text;
    if (authority.starts_with('[')) {  // [v6 literal]
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "unclosed '[' in the host";
            return std::nullopt;
        }
        out.host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) {
            why = "unexpected text after the host";
            return std::nullopt;
        }
        if (!rest.empty()) port_text = rest.substr(1);
    } else {
        const auto colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) {
        why = "has no host";
        return std::nullopt;
    }
    out.port = out.tls ? 443 : 80;
    if (!port_text.empty() || authority.ends_with(':')) {
        unsigned port = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
            why = "has a bad port (1-65535)";
            return std::nullopt;
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    return out;
}

std::span<const std::string_view> webhook_event_names() noexcept { return event_names; }

std::optional<std::string> decode_webhook_secret(std::string_view secret) {
    constexpr std::string_view prefix = "whsec_";
    if (!secret.starts_with(prefix)) return std::nullopt;
    secret.remove_prefix(prefix.size());
    if (secret.empty() || secret.size() % 4 != 0) return std::nullopt;
    std::string key(secret.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                                  reinterpret_cast<const unsigned char*>(secret.data()), static_cast<int>(secret.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t padding = 0;
    if (secret.ends_with("==")) padding = 2;
    else if (secret.ends_with('=')) padding = 1;
    key.resize(static_cast<std::size_t>(n) - padding);
    if (key.empty()) return std::nullopt;
    return key;
}

}  // namespace mqgate::config

// A bridge's upstream addresses (README "Bridges").
#include <charconv>

#include "config/config.hpp"

namespace mqgate::config {

std::optional<BridgeAddress> parse_bridge_address(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    const std::string_view port = text.substr(colon + 1);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') return std::nullopt;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt;  // an IPv6 literal needs its brackets
    }
    if (host.find_first_of(" \t\r\n/[]") != std::string_view::npos) return std::nullopt;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return std::nullopt;
    return BridgeAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string BridgeAddress::text() const {
    const std::string h = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return h + ":" + std::to_string(port);
}

}  // namespace mqgate::config

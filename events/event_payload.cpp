#include "events/event_payload.hpp"

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace mqgate::payload {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
    std::array<std::int8_t, 256> r{};
    for (auto& v : r) v = -1;
    for (int i = 0; i < 64; ++i) r[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return r;
}
constexpr auto reverse = make_reverse();

}  // namespace

bool is_valid_utf8(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t v = at(i) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::size_t end = text.size();
    // At most two '=' and only at the end.
    for (int k = 0; k < 2 && end > 0 && text[end - 1] == '='; ++k) --end;
    if (text.size() % 4 != 0 && end != text.size()) return std::nullopt;
    if (end % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(end / 4 * 3 + 2);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < end; ++i) {
        const std::int8_t v = reverse[static_cast<unsigned char>(text[i])];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

void put(nlohmann::json& object, std::string_view bytes) {
    if (is_valid_utf8(bytes)) {
        object["payload"] = std::string(bytes);
        object["encoding"] = "plain";
    } else {
        object["payload"] = base64_encode(bytes);
        object["encoding"] = "base64";
    }
}

Decoded read(const nlohmann::json& object) {
    Decoded d;
    std::string encoding = "plain";
    const char* encoding_field = "encoding";
    const auto enc = object.find("encoding");
    const auto synonym = object.find("payload_encoding");
    if (enc != object.end() && synonym != object.end() && *enc != *synonym) {
        d.error = Error{"invalid_encoding", "'encoding' and 'payload_encoding' disagree"};
        return d;
    }
    const auto chosen = enc != object.end() ? enc : synonym;
    if (chosen == synonym && synonym != object.end()) encoding_field = "payload_encoding";
    if (chosen != object.end()) {
        if (!chosen->is_string() || (*chosen != "plain" && *chosen != "base64")) {
            d.error = Error{"invalid_encoding", std::string("'") + encoding_field + "' must be \"plain\" or \"base64\""};
            return d;
        }
        encoding = chosen->get<std::string>();
    }
    const auto payload = object.find("payload");
    if (payload == object.end()) return d;
    if (!payload->is_string()) {
        d.error = Error{"invalid_payload", "'payload' must be a string"};
        return d;
    }
    const auto& text = payload->get_ref<const std::string&>();
    if (encoding == "plain") {
        d.bytes = text;
        return d;
    }
    auto bytes = base64_decode(text);
    if (!bytes) {
        d.error = Error{"invalid_payload", "'payload' is not valid base64"};
        return d;
    }
    d.bytes = std::move(*bytes);
    return d;
}

}  // namespace mqgate::payload

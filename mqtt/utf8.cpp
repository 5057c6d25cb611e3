// UTF-8 validation for MQTT strings (§1.5.3). Topics and client ids are
// almost always printable ASCII, so eight bytes are checked per step until a
// byte needs a closer look.
#include <cstdint>
#include <cstring>

#include "mqtt/codec.hpp"

namespace mqgate::mqtt {
namespace {

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

// True when all eight bytes are in 0x20..0x7E. With every high bit clear the
// per-byte additions cannot carry into the next byte: +0x01 reaches the high
// bit only for 0x7F (DEL), +0x60 reaches it for everything >= 0x20.
inline bool printable_ascii8(const unsigned char* p) noexcept {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    if (x & highs) return false;
    if ((x + ones) & highs) return false;
    return ((x + ones * 0x60) & highs) == highs;
}

inline bool continuation(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

inline bool noncharacter(std::uint32_t cp) noexcept {
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

}  // namespace

std::error_code validate_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        if (n - i >= 8 && printable_ascii8(p + i)) {
            i += 8;
            continue;
        }
        const unsigned char b0 = p[i];
        if (b0 < 0x80) {
            if (b0 == 0) return Errc::utf8_null_character;
            if (b0 < 0x20 || b0 == 0x7F) return Errc::utf8_disallowed_code_point;
            ++i;
            continue;
        }
        // Table 3-7 of the Unicode standard: the allowed range of the second
        // byte excludes overlong forms, surrogates and code points > U+10FFFF.
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            if (b0 == 0xE0) lo = 0xA0;
            if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            if (b0 == 0xF0) lo = 0x90;
            if (b0 == 0xF4) hi = 0x8F;
        } else {
            return Errc::invalid_utf8;
        }
        if (n - i < len) return Errc::invalid_utf8;
        if (p[i + 1] < lo || p[i + 1] > hi) return Errc::invalid_utf8;
        std::uint32_t cp = b0 & (0x7F >> len);
        for (std::size_t k = 1; k < len; ++k) {
            if (!continuation(p[i + k])) return Errc::invalid_utf8;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp <= 0x9F || noncharacter(cp)) return Errc::utf8_disallowed_code_point;
        i += len;
    }
    return {};
}

}  // namespace mqgate::mqtt

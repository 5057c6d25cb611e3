// Payloads in JSON. MQTT payloads are bytes but JSON strings must be UTF-8,
// so every JSON surface (REST, streams, event log) writes "plain" text when
// the bytes are well-formed UTF-8 and base64 otherwise, and reads either.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace mqgate::payload {

// Well-formed UTF-8 per RFC 3629 (no overlongs, surrogates or code points
// above U+10FFFF). Unlike MQTT strings, control characters and U+0000 are
// allowed: JSON escapes them.
bool is_valid_utf8(std::string_view bytes) noexcept;

std::string base64_encode(std::string_view bytes);
// Standard alphabet; '=' padding optional. nullopt on any other character or
// an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

// Sets object["payload"] and object["encoding"] ("plain" or "base64").
void put(nlohmann::json& object, std::string_view bytes);

struct Error {
    std::string code;     // slug, e.g. "invalid_encoding"
    std::string message;  // names the field
};

// Reads "payload" (string, default empty) with "encoding" or its EMQX
// synonym "payload_encoding" ("plain" by default, or "base64") from a request
// object. Returns the bytes or the error to answer with.
struct Decoded {
    std::string bytes;
    std::optional<Error> error;
};
Decoded read(const nlohmann::json& object);

}  // namespace mqgate::payload

// Standard Webhooks signing (https://www.standardwebhooks.com): what a
// receiver checks with the spec's verifier libraries. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mqgate::webhooks {

// The `webhook-signature` header's value: "v1," followed by the base64 of
// HMAC-SHA256 over "<id>.<timestamp>.<body>", keyed with `key` (the decoded
// bytes of the "whsec_" secret: config::decode_webhook_secret).
std::string signature(std::string_view key, std::string_view id, std::int64_t timestamp_s, std::string_view body);

}  // namespace mqgate::webhooks

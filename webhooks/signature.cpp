#include "webhooks/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace mqgate::webhooks {

std::string signature(std::string_view key, std::string_view id, std::int64_t timestamp_s, std::string_view body) {
    std::string signed_text;
    signed_text.reserve(id.size() + body.size() + 24);
    signed_text.append(id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &mac_size);
    std::string out = "v1,";
    const std::size_t prefix = out.size();
    out.resize(prefix + 4 * ((mac_size + 2) / 3));
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + prefix), mac, static_cast<int>(mac_size));
    return out;
}

}  // namespace mqgate::webhooks

#include "net/tls_context.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace mqgate::net {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" TLS 1.2 list, forward secret and AEAD only.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Client certificates are verified when sessions resume too; OpenSSL refuses
// resumption with verification on unless the context names itself.
constexpr unsigned char session_id_context[] = "mqgate";

// The most useful line of OpenSSL's error queue, which is then emptied so
// the next failure does not report a stale reason.
std::string openssl_reason() {
    const unsigned long code = ERR_peek_last_error();
    const char* text = code ? ERR_reason_error_string(code) : nullptr;
    std::string reason = text ? text : "unknown error";
    ERR_clear_error();
    return reason;
}

// OpenSSL's own messages for a missing file are vague ("system lib"): say
// which file and why first.
void require_readable(const std::string& field, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw TlsError(field, "cannot read " + path + ": " + std::strerror(errno));
    std::fclose(f);
}

std::shared_ptr<ssl::context> build(const TlsSettings& s) {
    if (s.require_client_cert && s.ca.empty())
        throw TlsError("ca", "required when require_client_cert is true (the CA that signs client certificates)");

    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1)
        throw TlsError("cert", "the TLS 1.2 cipher list is not supported: " + openssl_reason());

    require_readable("cert", s.cert);
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert.c_str()) != 1)
        throw TlsError("cert", "no usable PEM certificate in " + s.cert + ": " + openssl_reason());
    require_readable("key", s.key);
    // OpenSSL compares the key with the certificate while loading it.
    if (SSL_CTX_use_PrivateKey_file(ctx, s.key.c_str(), SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        const unsigned long code = ERR_peek_last_error();
        if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            throw TlsError("key", s.key + " does not match the certificate in " + s.cert);
        }
        throw TlsError("key", "no usable PEM private key in " + s.key + ": " + openssl_reason());
    }

    if (!s.ca.empty()) {
        require_readable("ca", s.ca);
        if (SSL_CTX_load_verify_locations(ctx, s.ca.c_str(), nullptr) != 1)
            throw TlsError("ca", "no usable PEM CA certificate in " + s.ca + ": " + openssl_reason());
        // Tells clients which CAs are accepted, so they pick the right certificate.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca.c_str())) SSL_CTX_set_client_CA_list(ctx, names);
        ERR_clear_error();
        // Without require_client_cert a certificate is optional, but one that
        // is offered must verify.
        int mode = SSL_VERIFY_PEER;
        if (s.require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(ctx, mode, nullptr);
        SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof session_id_context - 1);
    }
    return context;
}

}  // namespace

TlsContext::TlsContext(TlsSettings settings) : settings_(std::move(settings)), current_(build(settings_)) {}

std::shared_ptr<ssl::context> TlsContext::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void TlsContext::reload() {
    auto fresh = build(settings_);
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
}

std::string TlsContext::peer_common_name(const SSL* ssl) {
    if (!ssl) return {};
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return {};
    const X509_NAME* subject = X509_get_subject_name(cert);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) return {};
    std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    // An embedded NUL would let "admin\0..." pass for "admin" further on.
    if (cn.find('\0') != std::string::npos) return {};
    return cn;
}

}  // namespace mqgate::net

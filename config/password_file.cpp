#include "config/password_file.hpp"
#include "config/auth_file.hpp"
#include "config/text_lines.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace mqgate::config {
namespace {

constexpr std::string_view scheme = "$pbkdf2-sha512$";
constexpr std::size_t salt_size = 16;
constexpr std::size_t key_size = 64;  // SHA-512's output: more would only cost the defender
constexpr std::uint32_t max_iterations = 100'000'000;

std::string b64_encode(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::vector<unsigned char>> b64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::vector<unsigned char> out(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t size = static_cast<std::size_t>(n);
    if (text.ends_with("==")) size -= 2;
    else if (text.ends_with("=")) size -= 1;
    out.resize(size);
    return out;
}

struct Parsed {
    std::uint32_t iterations = 0;
    std::vector<unsigned char> salt;
    std::vector<unsigned char> key;
};

std::optional<Parsed> parse_hash(std::string_view encoded, std::string& why) {
    if (!encoded.starts_with(scheme)) {
        why = "hash must start with $pbkdf2-sha512$";
        return std::nullopt;
    }
    encoded.remove_prefix(scheme.size());
    const auto d1 = encoded.find('$');
    const auto d2 = d1 == std::string_view::npos ? d1 : encoded.find('$', d1 + 1);
    if (d2 == std::string_view::npos || encoded.find('$', d2 + 1) != std::string_view::npos) {
        why = "hash must be $pbkdf2-sha512$<iterations>$<salt>$<hash>";
        return std::nullopt;
    }
    Parsed p;
    const auto iters = encoded.substr(0, d1);
    auto [end, ec] = std::from_chars(iters.data(), iters.data() + iters.size(), p.iterations);
    if (ec != std::errc() || end != iters.data() + iters.size() || p.iterations < min_pbkdf2_iterations ||
        p.iterations > max_iterations) {
        why = "iterations must be a number between " + std::to_string(min_pbkdf2_iterations) + " and " +
              std::to_string(max_iterations);
        return std::nullopt;
    }
    auto salt = b64_decode(encoded.substr(d1 + 1, d2 - d1 - 1));
    auto key = b64_decode(encoded.substr(d2 + 1));
    if (!salt || salt->size() < 8) {
        why = "salt must be base64 of at least 8 bytes";
        return std::nullopt;
    }
    if (!key || key->size() < 32) {
        why = "hash must be base64 of at least 32 bytes";
        return std::nullopt;
    }
    p.salt = std::move(*salt);
    p.key = std::move(*key);
    return p;
}

bool derive(std::string_view password, const std::vector<unsigned char>& salt, std::uint32_t iterations,
            unsigned char* out, std::size_t size) {
    return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                             static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha512(),
                             static_cast<int>(size), out) == 1;
}

}  // namespace

std::string hash_password(std::string_view password, std::uint32_t iterations) {
    std::vector<unsigned char> salt(salt_size);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    unsigned char key[key_size];
    if (!derive(password, salt, iterations, key, sizeof key)) throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
    return std::string(scheme) + std::to_string(iterations) + "$" + b64_encode(salt.data(), salt.size()) + "$" +
           b64_encode(key, sizeof key);
}

bool verify_password(std::string_view password, std::string_view encoded) {
    std::string why;
    const auto parsed = parse_hash(encoded, why);
    if (!parsed) return false;
    std::vector<unsigned char> key(parsed->key.size());
    if (!derive(password, parsed->salt, parsed->iterations, key.data(), key.size())) return false;
    return CRYPTO_memcmp(key.data(), parsed->key.data(), key.size()) == 0;
}

std::string check_hash_format(std::string_view encoded) {
    std::string why;
    parse_hash(encoded, why);
    return why;
}

std::string check_username(std::string_view name) {
    if (name.empty()) return "username is empty";
    if (name.size() > 65535) return "username is longer than 65535 bytes";
    for (const char c : name) {
        if (c == ':') return "username must not contain ':'";
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "username must not contain control characters";
    }
    if (name.front() == '#') return "username must not start with '#'";
    if (name.front() == ' ' || name.back() == ' ') return "username must not start or end with a space";
    return {};
}

PasswordFile PasswordFile::parse(std::string_view text, const std::string& source) {
    PasswordFile file;
    std::size_t number = 0;
    std::string_view line;
    while (next_line(text, number, line)) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) throw AuthFileError(source, number, "expected username:hash");
        const std::string user(line.substr(0, colon));
        if (auto why = check_username(user); !why.empty()) throw AuthFileError(source, number, why);
        const std::string_view hash = line.substr(colon + 1);
        if (auto why = check_hash_format(hash); !why.empty())
            throw AuthFileError(source, number, "user '" + user + "': " + why);
        if (file.users_.contains(user)) throw AuthFileError(source, number, "user '" + user + "' appears twice");
        file.users_.emplace(user, std::string(hash));
    }
    return file;
}

PasswordFile PasswordFile::load(const std::string& path, bool missing_ok) {
    return parse(read_auth_file(path, missing_ok), path);
}

const std::string* PasswordFile::find(std::string_view user) const {
    const auto it = users_.find(user);
    return it == users_.end() ? nullptr : &it->second;
}

std::string PasswordFile::serialize() const {
    std::string out;
    for (const auto& [user, hash] : users_) out += user + ":" + hash + "\n";
    return out;
}

void PasswordFile::save(const std::string& path) const {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw AuthFileError(tmp, 0, std::string("cannot create: ") + std::strerror(errno));
    const std::string text = serialize();
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw AuthFileError(tmp, 0, std::string("cannot write: ") + std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
    // A leftover temporary file keeps its old mode through O_TRUNC.
    const bool ok = ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = ok ? errno : err;
        ::unlink(tmp.c_str());
        throw AuthFileError(path, 0, std::string("cannot replace: ") + std::strerror(e));
    }
}

}  // namespace mqgate::config

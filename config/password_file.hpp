// Users and their salted PBKDF2-SHA512 password hashes, one
// `username:$pbkdf2-sha512$<iterations>$<salt b64>$<hash b64>` line each
// ('#' comments and blank lines allowed). Managed by `mqgate passwd`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/auth_file_error.hpp"

namespace mqgate::config {

inline constexpr std::uint32_t default_pbkdf2_iterations = 100'000;
inline constexpr std::uint32_t min_pbkdf2_iterations = 1'000;  // accepted when reading, never written

// A fresh 16-byte random salt each call.
std::string hash_password(std::string_view password, std::uint32_t iterations = default_pbkdf2_iterations);
// Constant-time comparison of the derived key; false for a malformed hash.
bool verify_password(std::string_view password, std::string_view encoded);
// Empty when `encoded` is well formed, else why not.
std::string check_hash_format(std::string_view encoded);

class PasswordFile {
public:
    // Throws AuthFileError naming `source` and the line.
    static PasswordFile parse(std::string_view text, const std::string& source);
    // A missing file is an error unless `missing_ok` (mqgate passwd creates it).
    static PasswordFile load(const std::string& path, bool missing_ok = false);

    // The encoded hash of `user`, or null.
    const std::string* find(std::string_view user) const;
    void set(const std::string& user, std::string encoded) { users_[user] = std::move(encoded); }
    bool erase(const std::string& user) { return users_.erase(user) > 0; }
    std::size_t size() const noexcept { return users_.size(); }
    bool empty() const noexcept { return users_.empty(); }

    std::string serialize() const;
    // Written to a temporary file in the same directory with mode 0600, then
    // renamed over `path`, so readers never see half a file.
    void save(const std::string& path) const;

private:
    std::map<std::string, std::string, std::less<>> users_;
};

// Why `name` cannot be a username in the file ("" when it can).
std::string check_username(std::string_view name);

}  // namespace mqgate::config

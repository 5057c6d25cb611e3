#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "config/acl.hpp"
#include "config/authorizer.hpp"
#include "config/password_file.hpp"

namespace {

using mqgate::config::AuthFileError;
using mqgate::config::PasswordFile;
using mqgate::config::hash_password;
using mqgate::config::verify_password;

// The file format's minimum keeps these fast; the default is checked apart.
constexpr std::uint32_t fast = mqgate::config::min_pbkdf2_iterations;

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
    const auto h = hash_password("s3cret", fast);
    EXPECT_TRUE(verify_password("s3cret", h));
    EXPECT_FALSE(verify_password("s3creT", h));
    EXPECT_FALSE(verify_password("", h));
    EXPECT_FALSE(verify_password("s3cret ", h));
}

TEST(PasswordHash, DefaultFormatIsSaltedPbkdf2Sha512With100kIterations) {
    const auto a = hash_password("pw");
    const auto b = hash_password("pw");
    EXPECT_TRUE(a.starts_with("$pbkdf2-sha512$100000$")) << a;
    EXPECT_NE(a, b) << "a fresh salt each time";
    // 16-byte salt -> 24 base64 characters; 64-byte key -> 88.
    const auto salt = a.substr(22, a.find('$', 22) - 22);
    EXPECT_EQ(salt.size(), 24u) << a;
    EXPECT_EQ(a.size() - a.rfind('$') - 1, 88u) << a;
    EXPECT_TRUE(verify_password("pw", b));
}

TEST(PasswordHash, TamperedHashFails) {
    auto h = hash_password("pw", fast);
    std::string key_changed = h;
    key_changed[key_changed.size() - 5] = key_changed[key_changed.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_password("pw", key_changed));
    std::string salt_changed = h;
    const auto salt_at = salt_changed.find('$', 16) + 1;
    salt_changed[salt_at] = salt_changed[salt_at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_password("pw", salt_changed));
    std::string fewer_iterations = h;
    fewer_iterations.replace(15, 4, "1001");
    EXPECT_FALSE(verify_password("pw", fewer_iterations));
    EXPECT_FALSE(verify_password("pw", "$pbkdf2-sha512$1000$not base64$x"));
    EXPECT_FALSE(verify_password("pw", "plain"));
}

TEST(PasswordFile, ParsesUsersCommentsAndBlankLines) {
    const auto h = hash_password("pw", fast);
    const auto file = PasswordFile::parse("# users\n\nalice:" + h + "\r\n  bob:" + h + "  \n", "pw.txt");
    EXPECT_EQ(file.size(), 2u);
    ASSERT_NE(file.find("alice"), nullptr);
    EXPECT_TRUE(verify_password("pw", *file.find("bob")));
    EXPECT_EQ(file.find("carol"), nullptr);
}

void expect_error(const std::string& text, std::size_t line, const std::string& reason_part) {
    try {
        PasswordFile::parse(text, "users.pw");
        FAIL() << "accepted: " << text;
    } catch (const AuthFileError& e) {
        EXPECT_EQ(e.file(), "users.pw");
        EXPECT_EQ(e.line(), line) << e.what();
        EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("users.pw:" + std::to_string(line) + ": ", 0), 0u) << e.what();
    }
}

TEST(PasswordFile, ErrorsNameTheLine) {
    const auto h = hash_password("pw", fast);
    expect_error("alice:" + h + "\n# c\nbob\n", 3, "username:hash");
    expect_error("alice:" + h + "\nalice:" + h + "\n", 2, "twice");
    expect_error(":" + h + "\n", 1, "empty");
    expect_error("alice:$pbkdf2-sha256$1000$a$b\n", 1, "$pbkdf2-sha512$");
    expect_error("alice:$pbkdf2-sha512$10$AAAAAAAAAAAAAAAAAAAAAA==$" + h.substr(h.rfind('$') + 1) + "\n", 1,
                 "iterations");
    expect_error("\n\nalice:$pbkdf2-sha512$1000$!!!!$xx\n", 3, "salt");
    expect_error("alice:$pbkdf2-sha512$1000$AAAAAAAAAAAAAAAAAAAAAA==\n", 1, "<hash>");
}

TEST(PasswordFile, SaveIsAtomicWithMode0600AndLoadsBack) {
    const auto dir = std::filesystem::temp_directory_path() / ("mqgate-pw-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = (dir / "passwd").string();
    PasswordFile file = PasswordFile::load(path, /*missing_ok=*/true);
    EXPECT_TRUE(file.empty());
    file.set("alice", hash_password("a", fast));
    file.set("bob", hash_password("b", fast));
    file.save(path);
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto loaded = PasswordFile::load(path);
    EXPECT_EQ(loaded.size(), 2u);
    EXPECT_TRUE(verify_password("b", *loaded.find("bob")));
    EXPECT_TRUE(loaded.erase("bob"));
    loaded.save(path);
    EXPECT_EQ(PasswordFile::load(path).size(), 1u);
    // Only the file itself is left: no temporary file lingers.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
    EXPECT_THROW(PasswordFile::load((dir / "missing").string()), AuthFileError);
    std::filesystem::remove_all(dir);
}

// A directory opens and reads as zero bytes on Linux: it would pass as an
// empty password file or an ACL that denies everything. Each of the three
// files says what is wrong instead.
TEST(AuthFiles, ADirectoryIsRefusedByName) {
    const auto dir = std::filesystem::temp_directory_path() / ("mqgate-dir-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = dir.string();
    const auto expect_directory_error = [&](const char* which, auto load) {
        try {
            load();
            ADD_FAILURE() << which << ": a directory was accepted";
        } catch (const AuthFileError& e) {
            EXPECT_EQ(e.file(), path) << which;
            EXPECT_EQ(e.line(), 0u) << which;
            EXPECT_NE(e.reason().find("is a directory"), std::string::npos) << which << ": " << e.what();
        }
    };
    expect_directory_error("password_file", [&] { PasswordFile::load(path); });
    expect_directory_error("password_file, missing_ok", [&] { PasswordFile::load(path, true); });
    expect_directory_error("acl_file", [&] { mqgate::config::Acl::load(path); });
    mqgate::config::AuthOptions options;
    options.token_file = path;
    expect_directory_error("token_file", [&] { mqgate::config::load_auth_state(options); });
    std::filesystem::remove_all(dir);
}

}  // namespace

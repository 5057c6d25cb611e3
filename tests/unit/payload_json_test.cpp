#include "events/event_payload.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace {

namespace payload = mqgate::payload;
using nlohmann::json;

TEST(PayloadJson, Base64RoundTripsEveryLength) {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        const auto encoded = payload::base64_encode(bytes);
        EXPECT_EQ(encoded.size() % 4, 0u);
        const auto decoded = payload::base64_decode(encoded);
        ASSERT_TRUE(decoded) << "length " << i;
        EXPECT_EQ(*decoded, bytes);
        bytes.push_back(static_cast<char>(i * 37 + 11));
    }
}

TEST(PayloadJson, Base64KnownVectors) {
    EXPECT_EQ(payload::base64_encode(""), "");
    EXPECT_EQ(payload::base64_encode("f"), "Zg==");
    EXPECT_EQ(payload::base64_encode("fo"), "Zm8=");
    EXPECT_EQ(payload::base64_encode("foo"), "Zm9v");
    EXPECT_EQ(payload::base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(payload::base64_decode("Zm9vYg"), "foob");  // padding optional
}

TEST(PayloadJson, InvalidBase64IsRejected) {
    EXPECT_FALSE(payload::base64_decode("Zm9v!"));
    EXPECT_FALSE(payload::base64_decode("Z"));
    EXPECT_FALSE(payload::base64_decode("Zm=v"));
    EXPECT_FALSE(payload::base64_decode("Zm9v Zm9v"));
    EXPECT_FALSE(payload::base64_decode("Zg==="));
}

TEST(PayloadJson, Utf8Validation) {
    EXPECT_TRUE(payload::is_valid_utf8("hello\n\t"));
    EXPECT_TRUE(payload::is_valid_utf8(std::string("a\0b", 3)));
    EXPECT_TRUE(payload::is_valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_FALSE(payload::is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(payload::is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(payload::is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(payload::is_valid_utf8("\xE2\x82"));          // truncated
    EXPECT_FALSE(payload::is_valid_utf8("\xFF"));
}

TEST(PayloadJson, TextIsPlainAndBinaryIsBase64) {
    json text;
    payload::put(text, "21.5 \xC2\xB0""C");
    EXPECT_EQ(text["encoding"], "plain");
    EXPECT_EQ(text["payload"], "21.5 \xC2\xB0""C");

    json binary;
    const std::string bytes("\x00\xFF\x10\x80", 4);
    payload::put(binary, bytes);
    EXPECT_EQ(binary["encoding"], "base64");
    EXPECT_EQ(binary["payload"], "AP8QgA==");
    // Whatever the bytes, the result serialises as JSON.
    EXPECT_NO_THROW((void)binary.dump());
}

TEST(PayloadJson, ReadsPlainBase64AndTheEmqxSynonym) {
    auto plain = payload::read(json{{"payload", "hi"}});
    EXPECT_FALSE(plain.error);
    EXPECT_EQ(plain.bytes, "hi");

    auto b64 = payload::read(json{{"payload", "AP8QgA=="}, {"encoding", "base64"}});
    EXPECT_FALSE(b64.error);
    EXPECT_EQ(b64.bytes, std::string("\x00\xFF\x10\x80", 4));

    auto synonym = payload::read(json{{"payload", "aGk="}, {"payload_encoding", "base64"}});
    EXPECT_FALSE(synonym.error);
    EXPECT_EQ(synonym.bytes, "hi");

    auto missing = payload::read(json::object());
    EXPECT_FALSE(missing.error);
    EXPECT_EQ(missing.bytes, "");
}

TEST(PayloadJson, ReadErrorsNameTheField) {
    auto bad_b64 = payload::read(json{{"payload", "not base64!"}, {"encoding", "base64"}});
    ASSERT_TRUE(bad_b64.error);
    EXPECT_EQ(bad_b64.error->code, "invalid_payload");
    EXPECT_NE(bad_b64.error->message.find("payload"), std::string::npos);

    auto bad_encoding = payload::read(json{{"payload", "x"}, {"encoding", "hex"}});
    ASSERT_TRUE(bad_encoding.error);
    EXPECT_EQ(bad_encoding.error->code, "invalid_encoding");

    auto bad_synonym = payload::read(json{{"payload", "x"}, {"payload_encoding", 3}});
    ASSERT_TRUE(bad_synonym.error);
    EXPECT_NE(bad_synonym.error->message.find("payload_encoding"), std::string::npos);

    auto conflict = payload::read(json{{"payload", "x"}, {"encoding", "plain"}, {"payload_encoding", "base64"}});
    ASSERT_TRUE(conflict.error);
    EXPECT_EQ(conflict.error->code, "invalid_encoding");

    auto not_string = payload::read(json{{"payload", 42}});
    ASSERT_TRUE(not_string.error);
    EXPECT_EQ(not_string.error->code, "invalid_payload");
}

}  // namespace

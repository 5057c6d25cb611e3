// §1.5.3 UTF-8 rules and the server's POLICY on controls and non-characters.
#include <gtest/gtest.h>

#include <string>

#include "mqtt/codec.hpp"

namespace mqgate::mqtt {
namespace {

std::error_code check(const std::string& s) { return validate_utf8(s); }

TEST(Utf8, AcceptsAsciiAndEmpty) {
    EXPECT_FALSE(check(""));
    EXPECT_FALSE(check("sensors/kitchen/temperature"));
    EXPECT_FALSE(check(std::string(1000, 'a') + "~ !"));
}

TEST(Utf8, AcceptsValidMultiByte) {
    EXPECT_FALSE(check("caf\xC3\xA9"));                  // U+00E9, two bytes
    EXPECT_FALSE(check("\xC2\xA0"));                     // U+00A0, first code point after the C1 controls
    EXPECT_FALSE(check("\xE2\x82\xAC"));                 // U+20AC, three bytes
    EXPECT_FALSE(check("\xED\x9F\xBF"));                 // U+D7FF, just below the surrogates
    EXPECT_FALSE(check("\xEE\x80\x80"));                 // U+E000, just above them
    EXPECT_FALSE(check("\xF0\x9F\x98\x80"));             // U+1F600, four bytes
    EXPECT_FALSE(check("\xF4\x8F\xBF\xBD"));             // U+10FFFD, highest character
    EXPECT_FALSE(check("a/\xE6\x97\xA5\xE6\x9C\xAC/b"));  // mixed, crossing the 8-byte fast path
}

// [MQTT-1.5.3-3]: the BOM is an ordinary character and must not be stripped;
// validation takes a view, so "kept" means accepted unchanged.
TEST(Utf8, Mqtt_1_5_3_3_ByteOrderMarkIsValid) {
    EXPECT_FALSE(check("\xEF\xBB\xBF"));
    EXPECT_FALSE(check("\xEF\xBB\xBFtopic"));
}

// [MQTT-1.5.3-1]
TEST(Utf8, Mqtt_1_5_3_1_RejectsOverlongForms) {
    EXPECT_EQ(check("\xC0\x80"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xC1\xBF"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xE0\x80\x80"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xE0\x9F\xBF"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xF0\x80\x80\x80"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xF0\x8F\xBF\xBF"), Errc::invalid_utf8);
}

TEST(Utf8, Mqtt_1_5_3_1_RejectsSurrogates) {
    EXPECT_EQ(check("\xED\xA0\x80"), Errc::invalid_utf8);  // U+D800
    EXPECT_EQ(check("\xED\xBF\xBF"), Errc::invalid_utf8);  // U+DFFF
    EXPECT_EQ(check("ok\xED\xB0\x80"), Errc::invalid_utf8);
}

TEST(Utf8, Mqtt_1_5_3_1_RejectsAboveMaxCodePoint) {
    EXPECT_EQ(check("\xF4\x90\x80\x80"), Errc::invalid_utf8);  // U+110000
    EXPECT_EQ(check("\xF5\x80\x80\x80"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xFF"), Errc::invalid_utf8);
}

TEST(Utf8, Mqtt_1_5_3_1_RejectsTruncatedAndStraySequences) {
    EXPECT_EQ(check("\xC3"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xE2\x82"), Errc::invalid_utf8);
    EXPECT_EQ(check("\xF0\x9F\x98"), Errc::invalid_utf8);
    EXPECT_EQ(check("abcdefgh\xF0\x9F"), Errc::invalid_utf8);
    EXPECT_EQ(check("\x80"), Errc::invalid_utf8);           // lone continuation byte
    EXPECT_EQ(check("\xC3\x28"), Errc::invalid_utf8);       // lead byte without continuation
    EXPECT_EQ(check("\xE2\x82\x41"), Errc::invalid_utf8);
}

// [MQTT-1.5.3-2]
TEST(Utf8, Mqtt_1_5_3_2_RejectsNullCharacter) {
    EXPECT_EQ(check(std::string("\0", 1)), Errc::utf8_null_character);
    EXPECT_EQ(check(std::string("abcdefghij\0kl", 13)), Errc::utf8_null_character);
}

// POLICY (like Mosquitto): controls and non-characters close the connection.
TEST(Utf8, PolicyRejectsControlCharacters) {
    EXPECT_EQ(check("\x01"), Errc::utf8_disallowed_code_point);
    EXPECT_EQ(check("a\tb"), Errc::utf8_disallowed_code_point);
    EXPECT_EQ(check("abcdefgh\x1F"), Errc::utf8_disallowed_code_point);
    EXPECT_EQ(check("abc\x7F" "defgh"), Errc::utf8_disallowed_code_point);
    EXPECT_EQ(check("\xC2\x80"), Errc::utf8_disallowed_code_point);  // U+0080
    EXPECT_EQ(check("\xC2\x9F"), Errc::utf8_disallowed_code_point);  // U+009F
}

TEST(Utf8, PolicyRejectsNonCharacters) {
    EXPECT_EQ(check("\xEF\xBF\xBF"), Errc::utf8_disallowed_code_point);      // U+FFFF
    EXPECT_EQ(check("\xEF\xBF\xBE"), Errc::utf8_disallowed_code_point);      // U+FFFE
    EXPECT_EQ(check("\xEF\xB7\x90"), Errc::utf8_disallowed_code_point);      // U+FDD0
    EXPECT_EQ(check("\xEF\xB7\xAF"), Errc::utf8_disallowed_code_point);      // U+FDEF
    EXPECT_EQ(check("\xF0\x9F\xBF\xBF"), Errc::utf8_disallowed_code_point);  // U+1FFFF
    EXPECT_EQ(check("\xF4\x8F\xBF\xBE"), Errc::utf8_disallowed_code_point);  // U+10FFFE
    EXPECT_FALSE(check("\xEF\xB7\xB0"));                                      // U+FDF0 is a character
}

TEST(Utf8, ReportsFirstProblemInOrder) {
    EXPECT_EQ(check(std::string("\x01\0", 2)), Errc::utf8_disallowed_code_point);
    EXPECT_EQ(check(std::string("\0\x01", 2)), Errc::utf8_null_character);
}

TEST(Utf8, ErrorsHaveReadableMessages) {
    const std::error_code ec = Errc::invalid_utf8;
    EXPECT_STREQ(ec.category().name(), "mqtt");
    EXPECT_NE(ec.message().find("UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace mqgate::mqtt

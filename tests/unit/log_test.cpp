#include "support/log.hpp"

#include <gtest/gtest.h>

namespace {

using mqgate::log::escape_controls;

// A bad file's bytes quoted in a log line must not reach the terminal raw.
TEST(Log, ControlBytesAreEscaped) {
    EXPECT_EQ(escape_controls("invalid topic filter 'a/\x1b[31m#'"), "invalid topic filter 'a/\\x1b[31m#'");
    EXPECT_EQ(escape_controls(std::string("a\nb\rc\td\x7f" "e\0f", 11)), "a\\x0ab\\x0dc\\x09d\\x7fe\\x00f");
    EXPECT_EQ(escape_controls("caf\xC3\xA9 plain"), "caf\xC3\xA9 plain");
    EXPECT_EQ(escape_controls(""), "");
}

}  // namespace

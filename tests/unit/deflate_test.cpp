// The JSON stream's compression (http/deflate.hpp): what a client inflates
// is what was compressed, piece by piece, and Accept-Encoding is read as
// RFC 9110 says.
#include "http/deflate.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mqgate::http {
namespace {

// A client's inflater: raw deflate (WebSocket) or gzip (SSE), fed piece by piece.
class Inflater {
public:
    explicit Inflater(bool gzip) { inflateInit2(&z_, gzip ? 16 + 15 : -15); }
    ~Inflater() { inflateEnd(&z_); }
    int last_rc = Z_OK;

    std::string feed(const std::string& in) {
        std::string out;
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        char buffer[4096];
        for (int turns = 0; turns < 1000; ++turns) {
            z_.next_out = reinterpret_cast<Bytef*>(buffer);
            z_.avail_out = sizeof buffer;
            last_rc = inflate(&z_, Z_SYNC_FLUSH);
            out.append(buffer, sizeof buffer - z_.avail_out);
            if (last_rc != Z_OK || (z_.avail_in == 0 && z_.avail_out != 0)) break;
        }
        return out;
    }

private:
    z_stream z_{};
};

const std::string tail("\x00\x00\xff\xff", 4);

std::string message(int i) {
    return R"({"encoding":"plain","payload":"21.)" + std::to_string(i) +
           R"(","qos":0,"retain":false,"topic":"site/7/temp","ts":17962775)" + std::to_string(10000 + i) +
           R"(,"type":"message"})";
}

TEST(DeflaterTest, RawMessagesInflateOneByOneWithContextTakeover) {
    Deflater deflater(Deflater::Format::raw, 1, 12);
    Inflater client(false);
    std::size_t plain = 0, packed = 0;
    for (int i = 0; i < 100; ++i) {
        std::string out;
        ASSERT_TRUE(deflater.compress(message(i), out));
        // RFC 7692: the message ends without the flush's empty block.
        ASSERT_GE(out.size(), 4u);
        EXPECT_NE(out.substr(out.size() - 4), tail);
        EXPECT_EQ(client.feed(out + tail), message(i)) << i;
        plain += message(i).size();
        packed += out.size();
    }
    // The window holds the messages before: later ones cost a fraction of their size.
    EXPECT_LT(packed * 3, plain) << packed << " of " << plain;
}

TEST(DeflaterTest, NoContextTakeoverCodesEachMessageAlone) {
    Deflater deflater(Deflater::Format::raw, 6, 9);
    for (int i = 0; i < 5; ++i) {
        std::string out;
        ASSERT_TRUE(deflater.compress(message(i), out, true));
        Inflater fresh(false);  // a client that keeps no window between messages
        EXPECT_EQ(fresh.feed(out + tail), message(i)) << i;
    }
}

TEST(DeflaterTest, GzipPiecesAreReadableAsTheyComeAndTheEndIsAGzipTrailer) {
    Deflater deflater(Deflater::Format::gzip, 1, 12);
    Inflater client(true);
    std::string all;
    for (int i = 0; i < 20; ++i) {
        std::string out;
        ASSERT_TRUE(deflater.compress("event: message\ndata: " + message(i) + "\n\n", out));
        EXPECT_EQ(client.feed(out), "event: message\ndata: " + message(i) + "\n\n") << i;
    }
    std::string end;
    ASSERT_TRUE(deflater.finish(end));
    EXPECT_EQ(client.feed(end), "");
    EXPECT_EQ(client.last_rc, Z_STREAM_END);  // CRC and length checked by zlib
}

TEST(DeflaterTest, LargeInputGrowsTheOutput) {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += static_cast<char>((i * 7919) % 251);  // compresses poorly
    Deflater deflater(Deflater::Format::raw, 9, 15);
    std::string out;
    ASSERT_TRUE(deflater.compress(big, out));
    Inflater client(false);
    EXPECT_EQ(client.feed(out + tail), big);
}

TEST(AcceptsGzipTest, ReadsCodingsAndQValues) {
    EXPECT_TRUE(accepts_gzip("gzip"));
    EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));  // a browser's
    EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
    EXPECT_TRUE(accepts_gzip("x-gzip"));
    EXPECT_TRUE(accepts_gzip("*"));
    EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.001"));
    EXPECT_FALSE(accepts_gzip(""));
    EXPECT_FALSE(accepts_gzip("identity"));
    EXPECT_FALSE(accepts_gzip("deflate, br"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(accepts_gzip("gzip; q=0.000, identity"));
    EXPECT_FALSE(accepts_gzip("*;q=0"));
    EXPECT_FALSE(accepts_gzip("gzipped"));
}

}  // namespace
}  // namespace mqgate::http

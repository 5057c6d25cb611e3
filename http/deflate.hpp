// Compression of the JSON stream for a client that asked for it: deflate
// (RFC 1951) for WebSocket's permessage-deflate (RFC 7692) and gzip
// (RFC 1952) for SSE's Content-Encoding. Each call compresses a piece and
// flushes it (Z_SYNC_FLUSH), so the client can decode everything sent so far
// at once: a stream is never held back waiting for more input.
//
// One Deflater per connection: with context takeover each message is coded
// against the ones before (a stream's messages repeat their keys and topics,
// which is where the bytes are saved), so compressed frames cannot be shared
// between clients the way the plain ones are. Its state (about 32 KiB with
// the window and memory level chosen here) is allocated at the first
// compress(), not when the connection opens.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace mqgate::http {

class Deflater {
public:
    enum class Format { raw, gzip };
    // `level` 1 (fastest) to 9 (smallest); `window_bits` 9 to 15, the most a
    // WebSocket client allowed (server_max_window_bits).
    Deflater(Format format, int level, int window_bits);
    ~Deflater();
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    // Appends the compressed, flushed form of `in` to `out`. raw: without the
    // flush's 00 00 ff ff tail, as permessage-deflate sends a message. With
    // `reset_after` the next piece is coded afresh (server_no_context_takeover).
    // False when zlib fails (out of memory): the caller sends uncompressed or
    // closes.
    bool compress(std::string_view in, std::string& out, bool reset_after = false);
    // gzip: appends the end of the stream (Z_FINISH, the CRC and length).
    bool finish(std::string& out);

private:
    struct Stream;
    bool run(std::string_view in, std::string& out, int flush);

    std::unique_ptr<Stream> stream_;
    const Format format_;
    const int level_;
    const int window_bits_;
};

// Whether an Accept-Encoding header value allows gzip (RFC 9110 12.5.3:
// "gzip", "x-gzip" or "*", with a q-value above 0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace mqgate::http

// RFC 6455 framing for the server side of plain WebSocket (ws://) without
// Beast on the data path: once Beast has done the handshake, the connection
// goes back to the TCP path (an epoll-watched socket read into its thread's
// buffer). For MQTT over WebSocket (/mqtt) this turns what the client sends
// into the MQTT bytes the decoder reads, and what the broker sends into one
// binary frame per write; for the JSON stream (/api/v1/stream) it reads the
// client's messages one by one. Pure: no sockets, tested and fuzzed on its own.
//
// [MQTT-6.0.0-1]: MQTT travels in binary messages; a text message closes the
// connection. [MQTT-6.0.0-2]: the bytes of the binary messages form one
// stream, whatever their framing: packets may span frames and several may
// share one, so frame and packet boundaries are ignored here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mqgate::net {

enum class WsError : std::uint8_t {
    none,
    unmasked,          // a client frame must be masked (RFC 6455 5.1)
    reserved_bits,     // RSV1-3 set: no extension was agreed
    text_message,      // [MQTT-6.0.0-1]
    bad_opcode,        // a reserved opcode
    bad_control,       // a control frame fragmented or over 125 bytes, a close of 1 byte
    bad_continuation,  // a continuation with no message open, or a message while one is open
    too_long,          // a 64-bit length with its top bit set
};

const char* to_string(WsError e) noexcept;

class WsDeframer {
public:
    // mqtt: binary messages only, read as one byte stream (feed()). messages:
    // text and binary messages, read one at a time (feed_message()).
    enum class Mode : std::uint8_t { mqtt, messages };
    explicit WsDeframer(Mode mode = Mode::mqtt) noexcept : mode_(mode) {}

    // Unmasks the payload of the binary messages in data[0, n) and moves it
    // to the front: returns how many bytes of data are MQTT bytes now. What
    // control frames ask for is appended to `replies` as frames to send (a
    // pong for each ping, the answer to a close). After a close frame or an
    // error nothing more is read: `closed()` or `error()` says so, and
    // `replies` then holds the close frame to send (1002 for a protocol
    // error, 1003 for a text message).
    std::size_t feed(char* data, std::size_t n, std::string& replies);
    // Mode::messages: like feed(), but stops where a message ends. Returns
    // how many bytes of data[0, n) were read; `payload` says how many bytes of
    // message payload (unmasked) are now at data[0, payload), and `ended`
    // whether they end a message. Feed the rest of the data again.
    std::size_t feed_message(char* data, std::size_t n, std::string& replies, std::size_t& payload, bool& ended);

    bool closed() const noexcept { return closed_; }
    WsError error() const noexcept { return error_; }

private:
    // The loop of both feeds: returns the bytes read, `out` the payload bytes;
    // with `stop_at_end` it stops after a message's last frame (`ended`).
    std::size_t run(char* data, std::size_t n, std::string& replies, std::size_t& out, bool stop_at_end, bool& ended);
    bool fail(WsError e, std::string& replies);
    // The header in header_ is whole: checks it and sets up the frame.
    bool start_frame(std::string& replies);
    void end_control(std::string& replies);
    void end_data(bool stop_at_end, bool& ended) noexcept;
    std::size_t header_size() const noexcept;

    std::uint64_t remaining_ = 0;   // payload bytes of the current frame still to come
    std::array<std::uint8_t, 14> header_{};
    std::uint8_t header_len_ = 0;   // bytes of the next frame's header gathered so far
    std::uint8_t opcode_ = 0;       // the current frame's
    std::uint8_t mask_at_ = 0;      // index into mask_ of the next payload byte
    bool in_frame_ = false;         // past the header, in the payload
    bool in_message_ = false;       // a data message is open (its last frame not seen)
    const Mode mode_;
    bool closed_ = false;
    WsError error_ = WsError::none;
    std::array<std::uint8_t, 4> mask_{};
    std::string control_;           // a control frame's payload (at most 125 bytes)
};

// The header of an unmasked, final binary frame of `size` payload bytes, as a
// server sends it, written to `out`; returns its length (2, 4 or 10).
std::size_t ws_binary_header(std::uint64_t size, std::array<char, 10>& out) noexcept;

// Appends an unmasked, unfragmented text frame with `text` as its payload, as a
// server sends it; `compressed`: the payload is a permessage-deflate message
// (RSV1, RFC 7692 6).
void append_ws_text(std::string& out, std::string_view text, bool compressed = false);

// Appends an unmasked control frame (opcode 0x8 close, 0x9 ping, 0xA pong)
// with `payload` (at most 125 bytes) to `out`.
void append_ws_control(std::string& out, std::uint8_t opcode, std::string_view payload);

// Appends a close frame with status `code` and as much of `reason` as fits.
void append_ws_close(std::string& out, std::uint16_t code, std::string_view reason = {});

}  // namespace mqgate::net

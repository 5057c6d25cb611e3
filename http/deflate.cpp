#include "http/deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace mqgate::http {

namespace {
constexpr int mem_level = 5;  // 16 KiB of hash tables: ample for messages of a few hundred bytes
}

struct Deflater::Stream {
    z_stream z{};
    bool open = false;
    ~Stream() {
        if (open) deflateEnd(&z);
    }
};

Deflater::Deflater(Format format, int level, int window_bits)
    : format_(format), level_(std::clamp(level, 1, 9)), window_bits_(std::clamp(window_bits, 9, 15)) {}

Deflater::~Deflater() = default;

bool Deflater::run(std::string_view in, std::string& out, int flush) {
    if (!stream_) {
        auto s = std::make_unique<Stream>();
        const int bits = format_ == Format::raw ? -window_bits_ : window_bits_ + 16;
        if (deflateInit2(&s->z, level_, Z_DEFLATED, bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) return false;
        s->open = true;
        stream_ = std::move(s);
    }
    z_stream& z = stream_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    // deflateBound covers the whole input; a flush adds a few bytes more.
    const std::size_t start = out.size();
    out.resize(start + deflateBound(&z, static_cast<uLong>(in.size())) + 16);
    std::size_t used = start;
    for (int turns = 0;; ++turns) {  // bounded: each turn either finishes or has grown the buffer
        z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        z.avail_out = static_cast<uInt>(out.size() - used);
        const int rc = deflate(&z, flush);
        used = out.size() - z.avail_out;
        if (rc == Z_STREAM_ERROR || turns > 64) {
            out.resize(start);
            return false;
        }
        if (z.avail_out != 0 || rc == Z_STREAM_END) break;
        out.resize(out.size() * 2);
    }
    out.resize(used);
    return true;
}

bool Deflater::compress(std::string_view in, std::string& out, bool reset_after) {
    const std::size_t start = out.size();
    if (!run(in, out, Z_SYNC_FLUSH)) return false;
    if (format_ == Format::raw) {
        // RFC 7692 7.2.1: a message ends without the empty stored block a sync flush leaves.
        static constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
        if (out.size() - start >= 4 && std::memcmp(out.data() + out.size() - 4, tail, 4) == 0) out.resize(out.size() - 4);
    }
    if (reset_after && deflateReset(&stream_->z) != Z_OK) return false;
    return true;
}

bool Deflater::finish(std::string& out) { return run({}, out, Z_FINISH); }

bool accepts_gzip(std::string_view header) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        const auto semi = item.find(';');
        std::string_view coding = item.substr(0, semi);
        std::string_view params = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
        auto trim = [](std::string_view s) {
            while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
            while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
            return s;
        };
        coding = trim(coding);
        auto iequals = [](std::string_view a, std::string_view b) {
            return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                       return std::tolower(static_cast<unsigned char>(x)) == y;
                   });
        };
        if (!iequals(coding, "gzip") && !iequals(coding, "x-gzip") && coding != "*") continue;
        // "q=0", "q=0.0", "q=0.000": refused; any other weight (or none) accepts.
        params = trim(params);
        if (params.size() >= 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
            std::string_view q = trim(params.substr(2));
            const bool zero = !q.empty() && q[0] == '0' &&
                              std::all_of(q.begin() + 1, q.end(), [](char c) { return c == '.' || c == '0'; });
            if (zero) continue;
        }
        return true;
    }
    return false;
}

}  // namespace mqgate::http

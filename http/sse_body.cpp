#include "http/sse_body.hpp"

#include <cstdio>

#include "support/log.hpp"

namespace mqgate::http {
namespace {
// The gzip window: 4 KiB holds the recent events, whose keys and topics are what repeats.
constexpr int gzip_window_bits = 12;
}  // namespace

void start_sse_core(StreamCore& core, const SseRequest& request) {
    for (const auto& [filter, qos] : request.filters) core.subscribe(filter, qos);
    if (request.events.any()) core.enable_events(request.events, request.last_event_id);
}

SseBody::SseBody(bool gzip, int level)
    : gzip_(gzip ? std::make_unique<Deflater>(Deflater::Format::gzip, level, gzip_window_bits) : nullptr) {}

SseBody::Fill SseBody::fill(StreamCore& core, std::string& out, std::size_t unsent) {
    StreamItem item;
    bool full = false;
    for (;;) {
        if (unsent + events_.size() >= max_write_batch) {
            full = true;
            break;
        }
        if (!core.next(item)) break;
        append_event(item);
    }
    const bool ok = events_.empty() || append_body(events_, out);
    events_.clear();
    if (!ok) return Fill::failed;
    return full ? Fill::more : Fill::idle;
}

bool SseBody::append(std::string_view text, std::string& out) { return append_body(text, out); }

bool SseBody::append_close(int code, std::string_view reason, std::string& out) {
    std::string text = "event: close\ndata: {\"code\":" + std::to_string(code) + ",\"reason\":\"";
    for (char c : reason) {
        if (c == '"' || c == '\\') text += '\\';
        text += c;
    }
    text += "\"}\n\n";
    if (!append_body(text, out)) return false;
    if (gzip_) {
        packed_.clear();
        if (gzip_->finish(packed_)) append_chunk(packed_, out);  // the gzip trailer
    }
    append_chunk("", out);  // zero-length chunk: end of the response
    return true;
}

void SseBody::release() {
    std::string().swap(packed_);
    std::string().swap(events_);
}

// One event, into the batch that becomes the next chunk.
void SseBody::append_event(const StreamItem& item) {
    switch (item.kind) {
    case StreamItem::Kind::message: events_ += "event: message\n"; break;
    case StreamItem::Kind::event: events_ += "event: event\nid: " + std::to_string(item.seq) + "\n"; break;
    case StreamItem::Kind::dropped: events_ += "event: dropped\n"; break;
    case StreamItem::Kind::reply: events_ += "event: reply\n"; break;
    }
    // JSON from StreamCore has no raw newline, so one data line suffices.
    events_ += "data: ";
    events_ += *item.json;
    events_ += "\n\n";
}

// Body text into the next chunk: as it is, or through the gzip stream,
// flushed so that the client can read every event at once.
bool SseBody::append_body(std::string_view data, std::string& out) {
    if (!gzip_) {
        append_chunk(data, out);
        return true;
    }
    packed_.clear();
    if (!gzip_->compress(data, packed_)) {
        LOG_WARN("sse: compression failed; closing the stream");
        return false;
    }
    append_chunk(packed_, out);
    return true;
}

void SseBody::append_chunk(std::string_view data, std::string& out) {
    char size[20];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out.append(size, static_cast<std::size_t>(n));
    out.append(data);
    out += "\r\n";
}

}  // namespace mqgate::http

// The config file format: reading (strict: unknown keys, wrong types and
// out-of-range values are errors naming the key path) and writing.
#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <set>
#include <string_view>

#include "config/config.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "support/json_check.hpp"

namespace mqgate::config {

using nlohmann::json;

namespace {

const char* type_name(const json& j) {
    switch (j.type()) {
        case json::value_t::null: return "null";
        case json::value_t::object: return "an object";
        case json::value_t::array: return "an array";
        case json::value_t::string: return "a string";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::number_float: return "a fractional number";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "an integer";
        default: return "an unsupported value";
    }
}

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Reads the members of one JSON object; every member must be read by the
// time finish() runs, or it is an unknown key.
class ObjectReader {
public:
    ObjectReader(const json& j, std::string path, const std::string& source)
        : j_(j), path_(std::move(path)), source_(source) {
        if (!j.is_object()) fail(path_, std::string("expected an object, got ") + type_name(j));
    }

    [[noreturn]] void fail(const std::string& key, const std::string& reason) const {
        throw ConfigError(source_, key, reason);
    }

    const json* member(std::string_view key) {
        seen_.insert(std::string(key));
        auto it = j_.find(key);
        return it == j_.end() ? nullptr : &*it;
    }

    template <class T>
    void integer(std::string_view key, T& out, std::uint64_t min, std::uint64_t max) {
        const json* v = member(key);
        if (!v) return;
        const std::string path = join(path_, key);
        if (!v->is_number_integer()) fail(path, std::string("expected an integer, got ") + type_name(*v));
        // Parsed text stores non-negative integers as unsigned, but a JSON
        // value built in code may hold them signed.
        if (v->is_number_unsigned() || v->get<std::int64_t>() >= 0) {
            const auto n = v->get<std::uint64_t>();
            if (n >= min && n <= max) {
                out = static_cast<T>(n);
                return;
            }
        }
        fail(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + v->dump());
    }

    void seconds(std::string_view key, std::chrono::seconds& out, std::uint64_t min, std::uint64_t max) {
        std::uint64_t n = static_cast<std::uint64_t>(out.count());
        integer(key, n, min, max);
        out = std::chrono::seconds(n);
    }

    void boolean(std::string_view key, bool& out) {
        const json* v = member(key);
        if (!v) return;
        if (!v->is_boolean()) fail(join(path_, key), std::string("expected true or false, got ") + type_name(*v));
        out = v->get<bool>();
    }

    // Returns whether the key was present.
    bool string(std::string_view key, std::string& out) {
        const json* v = member(key);
        if (!v) return false;
        if (!v->is_string()) fail(join(path_, key), std::string("expected a string, got ") + type_name(*v));
        out = v->get<std::string>();
        return true;
    }

    void strings(std::string_view key, std::vector<std::string>& out) {
        const json* v = member(key);
        if (!v) return;
        const std::string path = join(path_, key);
        if (!v->is_array()) fail(path, std::string("expected an array of strings, got ") + type_name(*v));
        std::vector<std::string> values;
        for (std::size_t i = 0; i < v->size(); ++i) {
            const json& e = (*v)[i];
            if (!e.is_string())
                fail(path + "[" + std::to_string(i) + "]", std::string("expected a string, got ") + type_name(e));
            values.push_back(e.get<std::string>());
        }
        out = std::move(values);
    }

    const std::string& path() const noexcept { return path_; }
    const std::string& source() const noexcept { return source_; }

    void finish() const {
        for (const auto& item : j_.items())
            if (!seen_.contains(item.key())) fail(join(path_, item.key()), "unknown key");
    }

private:
    const json& j_;
    std::string path_;
    const std::string& source_;
    std::set<std::string, std::less<>> seen_;
};

constexpr std::uint64_t unlimited = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t one_day = 86'400;

void read_listener(ObjectReader& r, Listener& l) {
    if (r.string("bind", l.bind) && !valid_bind(l.bind))
        r.fail(join(r.path(), "bind"), "not an IP address or \"localhost\": \"" + l.bind + "\"");
    r.integer("port", l.port, 0, 65535);
}

template <class L>
void read_listeners(ObjectReader& parent, std::string_view key, std::vector<L>& out, std::uint16_t default_port) {
    const json* v = parent.member(key);
    if (!v) return;
    const std::string path = join(parent.path(), key);
    if (!v->is_array()) parent.fail(path, std::string("expected an array of listeners, got ") + type_name(*v));
    std::vector<L> listeners;
    for (std::size_t i = 0; i < v->size(); ++i) {
        ObjectReader r((*v)[i], path + "[" + std::to_string(i) + "]", parent.source());
        L l;
        l.port = default_port;
        read_listener(r, l);
        if constexpr (std::is_same_v<L, TlsListener>) {
            r.string("cert", l.cert);
            r.string("key", l.key);
            r.string("ca", l.ca);
            r.boolean("require_client_cert", l.require_client_cert);
            r.seconds("handshake_timeout", l.handshake_timeout, 1, 3600);
            if (l.cert.empty()) r.fail(join(r.path(), "cert"), "required for a TLS listener");
            if (l.key.empty()) r.fail(join(r.path(), "key"), "required for a TLS listener");
        }
        r.finish();
        listeners.push_back(std::move(l));
    }
    out = std::move(listeners);
}

void read_mqtt(ObjectReader& r, MqttOptions& m) {
    auto& l = m.limits;
    r.integer("max_packet_size", l.max_packet_size, 16, 268'435'460);
    r.integer("max_connect_size", l.max_connect_size, 128, 268'435'460);
    r.integer("max_client_id_length", l.max_client_id_length, 23, 65535);
    r.integer("max_topic_levels", l.max_topic_levels, 1, 65535);
    r.integer("max_subscriptions_per_session", l.max_subscriptions_per_session, 1, unlimited);
    r.integer("max_inflight", l.max_inflight, 1, 65535);
    r.integer("max_queued_messages", l.max_queued_messages, 0, unlimited);
    r.integer("max_queued_bytes", l.max_queued_bytes, 0, unlimited);
    r.integer("max_awaiting_rel", l.max_awaiting_rel, 1, 65535);
    r.seconds("await_rel_timeout", l.await_rel_timeout, 1, 7 * one_day);
    r.integer("max_outbound_buffer", l.max_outbound_buffer, 1024, unlimited);
    r.seconds("max_keepalive", l.max_keepalive, 0, 65535);
    r.seconds("connect_timeout", m.connect_timeout, 1, 3600);
    r.seconds("write_timeout", m.write_timeout, 1, 3600);
    r.boolean("queue_qos0_offline", l.queue_qos0_offline);
    r.seconds("sys_interval", m.sys_interval, 1, one_day);
    r.integer("max_connections", m.max_connections, 0, unlimited);
    r.integer("max_publish_rate", m.max_publish_rate, 0, 1'000'000);
    r.finish();
}

void read_http(ObjectReader& r, HttpOptions& h) {
    r.integer("max_header_size", h.max_header_size, 512, 1 << 20);
    r.integer("max_body_size", h.max_body_size, 0, unlimited);
    r.seconds("header_timeout", h.header_timeout, 1, 3600);
    r.seconds("body_timeout", h.body_timeout, 1, 3600);
    r.seconds("idle_timeout", h.idle_timeout, 1, one_day);
    r.integer("max_pipelined", h.max_pipelined, 1, 1024);
    r.strings("cors_origins", h.cors_origins);
    r.strings("allowed_origins", h.allowed_origins);
    r.integer("ws_max_message_size", h.ws_max_message_size, 16, unlimited);
    r.integer("ws_send_queue_bytes", h.ws_send_queue_bytes, 1024, unlimited);
    r.integer("ws_send_queue_frames", h.ws_send_queue_frames, 1, unlimited);
    r.boolean("stream_compression", h.stream_compression);
    r.integer("stream_compression_level", h.stream_compression_level, 1, 9);
    r.integer("events_buffer", h.events_buffer, 0, 10'000'000);
    r.finish();
}

void read_requests(ObjectReader& r, RequestOptions& q) {
    r.integer("max_timeout_ms", q.max_timeout_ms, 1, 86'400'000);
    r.integer("max_pending", q.max_pending, 1, unlimited);
    r.integer("max_targets", q.max_targets, 1, 100'000);
    r.finish();
}

void read_commands(ObjectReader& r, CommandOptions& c) {
    r.integer("max_pending", c.max_pending, 1, 10'000'000);
    r.integer("max_ttl_s", c.max_ttl_s, 1, 366 * 86'400);
    r.finish();
}

void read_storage(ObjectReader& r, StorageOptions& s) {
    std::string text;
    if (r.string("backend", text)) {
        const auto kind = store::parse_backend(text);
        if (!kind) r.fail(join(r.path(), "backend"), "must be sqlite or memory; got \"" + text + "\"");
        s.backend = *kind;
    }
    if (r.string("data_dir", s.data_dir) && s.data_dir.empty()) r.fail(join(r.path(), "data_dir"), "must not be empty");
    r.string("path", s.path);
    if (r.string("sync", text)) {
        const auto sync = store::parse_sync(text);
        if (!sync) r.fail(join(r.path(), "sync"), "must be full or normal; got \"" + text + "\"");
        s.sync = *sync;
    }
    r.integer("max_pending_batches", s.max_pending_batches, 1, unlimited);
    r.finish();
}

// A file named in the config must be readable now; its content is checked when the part using it starts.
void readable_file(ObjectReader& r, std::string_view key, std::string& out) {
    if (r.string(key, out) && !out.empty() && !std::ifstream(out))
        r.fail(join(r.path(), key), "cannot read \"" + out + "\"");
}

// A webhook's or bridge's name goes into store queue names, stats and metric labels: plain characters only.
void read_name(ObjectReader& r, std::string& name) {
    if (!r.string("name", name) || name.empty() || name.size() > 64 ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
        r.fail(join(r.path(), "name"), "required: 1-64 characters of A-Z a-z 0-9 _ . -");
}

void read_webhook(ObjectReader& r, WebhookOptions& w) {
    const auto key = [&](std::string_view k) { return join(r.path(), k); };
    read_name(r, w.name);
    if (!r.string("url", w.url)) r.fail(key("url"), "required");
    std::string why;
    auto target = parse_webhook_url(w.url, why);
    if (!target) r.fail(key("url"), why + ": \"" + w.url + "\"");
    w.target = std::move(*target);
    r.strings("events", w.events);
    if (w.events.empty()) r.fail(key("events"), "required, at least one event name");
    const auto names = webhook_event_names();
    for (std::size_t i = 0; i < w.events.size(); ++i)
        if (std::find(names.begin(), names.end(), w.events[i]) == names.end())
            r.fail(key("events") + "[" + std::to_string(i) + "]", "unknown event \"" + w.events[i] + "\"");
    r.strings("topics", w.topics);
    for (std::size_t i = 0; i < w.topics.size(); ++i)
        if (mqtt::validate_topic_filter(w.topics[i]))
            r.fail(key("topics") + "[" + std::to_string(i) + "]", "not a valid MQTT filter: \"" + w.topics[i] + "\"");
    // Loaded (and a bad PEM refused, exit 2) when the webhooks start; a missing file is caught here already.
    readable_file(r, "ca_file", w.ca_file);
    if (r.string("secret", w.secret) && !decode_webhook_secret(w.secret))
        r.fail(key("secret"), "must be \"whsec_\" followed by a non-empty base64 key");
    if (const json* v = r.member("headers")) {
        if (!v->is_object()) r.fail(key("headers"), std::string("expected an object of name: value, got ") + type_name(*v));
        std::map<std::string, std::string> headers;
        for (const auto& item : v->items()) {
            const std::string path = join(key("headers"), item.key());
            if (!item.value().is_string()) r.fail(path, "expected a string");
            const auto value = item.value().get<std::string>();
            if (item.key().empty() || item.key().find_first_of(" :\r\n\t") != std::string::npos ||
                value.find_first_of("\r\n") != std::string::npos)
                r.fail(path, "not a valid header name or value");
            headers.emplace(item.key(), value);
        }
        w.headers = std::move(headers);
    }
    r.integer("timeout_ms", w.timeout_ms, 100, 600'000);
    r.integer("max_age_s", w.max_age_s, 1, 30 * one_day);
    r.integer("max_pending", w.max_pending, 1, 10'000'000);
    r.integer("max_connections", w.max_connections, 1, 64);
    if (const json* v = r.member("batch")) {
        ObjectReader br(*v, key("batch"), r.source());
        br.integer("max_events", w.batch_max_events, 1, 1000);
        br.integer("max_wait_ms", w.batch_max_wait_ms, 0, 60'000);
        br.finish();
    }
    r.finish();
}

// A top-level array of named entries ("webhooks", "bridges"), each read by `read_one`; names are unique.
template <class T>
void read_named_list(ObjectReader& parent, const char* section, std::vector<T>& out,
                     void (*read_one)(ObjectReader&, T&)) {
    const json* v = parent.member(section);
    if (!v) return;
    if (!v->is_array())
        parent.fail(section, std::string("expected an array of ") + section + ", got " + type_name(*v));
    std::vector<T> entries;
    for (std::size_t i = 0; i < v->size(); ++i) {
        ObjectReader r((*v)[i], std::string(section) + "[" + std::to_string(i) + "]", parent.source());
        T entry;
        read_one(r, entry);
        for (const auto& other : entries)
            if (other.name == entry.name) r.fail(join(r.path(), "name"), "\"" + entry.name + "\" is used twice");
        entries.push_back(std::move(entry));
    }
    out = std::move(entries);
}

void read_bridge_tls(ObjectReader& r, BridgeOptions& b) {
    b.tls = true;
    readable_file(r, "ca", b.tls_ca);
    readable_file(r, "cert", b.tls_cert);
    readable_file(r, "key", b.tls_key);
    r.string("server_name", b.tls_server_name);
    r.boolean("verify", b.tls_verify);
    if (b.tls_cert.empty() != b.tls_key.empty())
        r.fail(join(r.path(), b.tls_cert.empty() ? "cert" : "key"), "cert and key go together");
    r.finish();
}

void read_bridge_topic(ObjectReader& r, BridgeTopic& t) {
    const auto key = [&](std::string_view k) { return join(r.path(), k); };
    if (!r.string("filter", t.filter)) r.fail(key("filter"), "required");
    std::string direction;
    if (!r.string("direction", direction)) r.fail(key("direction"), "required: out, in or both");
    if (direction == "out") t.direction = BridgeDirection::out;
    else if (direction == "in") t.direction = BridgeDirection::in;
    else if (direction == "both") t.direction = BridgeDirection::both;
    else r.fail(key("direction"), "must be out, in or both; got \"" + direction + "\"");
    r.integer("qos", t.qos, 0, 2);
    r.string("local_prefix", t.local_prefix);
    r.string("remote_prefix", t.remote_prefix);
    // Each side's filter is its prefix followed by the filter.
    for (const auto* prefix : {&t.local_prefix, &t.remote_prefix})
        if (mqtt::validate_topic_filter(*prefix + t.filter))
            r.fail(key(prefix == &t.local_prefix ? "local_prefix" : "remote_prefix"),
                   "prefix + filter is not a valid MQTT filter: \"" + *prefix + t.filter + "\"");
    for (const auto* prefix : {&t.local_prefix, &t.remote_prefix})
        if (prefix->find_first_of("+#") != std::string::npos)
            r.fail(key(prefix == &t.local_prefix ? "local_prefix" : "remote_prefix"), "must not hold '+' or '#'");
    r.finish();
}

void read_bridge(ObjectReader& r, BridgeOptions& b) {
    const auto key = [&](std::string_view k) { return join(r.path(), k); };
    read_name(r, b.name);
    std::vector<std::string> addresses;
    r.strings("addresses", addresses);
    if (addresses.empty()) r.fail(key("addresses"), "required: one or more \"host:port\"");
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        auto address = parse_bridge_address(addresses[i]);
        if (!address) r.fail(key("addresses") + "[" + std::to_string(i) + "]", "not host:port: \"" + addresses[i] + "\"");
        b.addresses.push_back(std::move(*address));
    }
    if (const json* v = r.member("tls")) {
        ObjectReader tr(*v, key("tls"), r.source());
        read_bridge_tls(tr, b);
    }
    if (r.string("client_id", b.client_id) &&
        (b.client_id.size() > 65535 || b.client_id.find('\0') != std::string::npos || mqtt::validate_utf8(b.client_id)))
        r.fail(key("client_id"), "not a valid MQTT client id");
    r.string("username", b.username);
    r.string("password", b.password);
    r.string("local_username", b.local_username);
    r.boolean("clean_session", b.clean_session);
    r.integer("keepalive", b.keepalive, 5, 65535);
    r.boolean("try_private", b.try_private);
    const json* topics = r.member("topics");
    if (!topics || !topics->is_array() || topics->empty())
        r.fail(key("topics"), "required: an array of one or more {filter, direction, qos, local_prefix, remote_prefix}");
    for (std::size_t i = 0; i < topics->size(); ++i) {
        ObjectReader tr((*topics)[i], key("topics") + "[" + std::to_string(i) + "]", r.source());
        read_bridge_topic(tr, b.topics.emplace_back());
    }
    if (const json* v = r.member("queue")) {
        ObjectReader qr(*v, key("queue"), r.source());
        qr.integer("max_messages", b.queue_max_messages, 1, 10'000'000);
        qr.integer("max_bytes", b.queue_max_bytes, 1024, std::uint64_t{1} << 40);
        qr.finish();
    }
    if (const json* v = r.member("reconnect")) {
        ObjectReader rr(*v, key("reconnect"), r.source());
        rr.integer("min_ms", b.reconnect_min_ms, 10, 3'600'000);
        rr.integer("max_ms", b.reconnect_max_ms, 10, 3'600'000);
        if (b.reconnect_max_ms < b.reconnect_min_ms) rr.fail(join(rr.path(), "max_ms"), "must not be below min_ms");
        rr.finish();
    }
    r.finish();
}


bool is_role(std::string_view role) {
    return role == "admin" || role == "publish" || role == "subscribe" || role == "read";
}

void role_or_fail(ObjectReader& r, const std::string& path, const std::string& role) {
    if (!is_role(role)) r.fail(path, "must be one of admin, publish, subscribe, read; got \"" + role + "\"");
}

void read_tokens(ObjectReader& parent, std::vector<TokenOptions>& out) {
    const json* v = parent.member("tokens");
    if (!v) return;
    const std::string path = join(parent.path(), "tokens");
    if (!v->is_array()) parent.fail(path, std::string("expected an array of tokens, got ") + type_name(*v));
    std::vector<TokenOptions> tokens;
    for (std::size_t i = 0; i < v->size(); ++i) {
        ObjectReader r((*v)[i], path + "[" + std::to_string(i) + "]", parent.source());
        TokenOptions t;
        r.string("token", t.token);
        r.string("token_sha256", t.token_sha256);
        r.string("name", t.name);
        r.string("role", t.role);
        r.finish();
        if (t.token.empty() == t.token_sha256.empty())
            r.fail(r.path(), "exactly one of token and token_sha256 is required");
        if (!t.token_sha256.empty() &&
            (t.token_sha256.size() != 64 || t.token_sha256.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
            r.fail(join(r.path(), "token_sha256"), "must be 64 hex digits (sha256sum of the token)");
        if (t.name.empty()) r.fail(join(r.path(), "name"), "required");
        role_or_fail(r, join(r.path(), "role"), t.role);
        tokens.push_back(std::move(t));
    }
    out = std::move(tokens);
}

void read_auth(ObjectReader& r, AuthOptions& a) {
    r.boolean("allow_anonymous", a.allow_anonymous);
    r.string("password_file", a.password_file);
    r.string("acl_file", a.acl_file);
    r.string("token_file", a.token_file);
    read_tokens(r, a.tokens);
    if (const json* v = r.member("user_roles")) {
        const std::string path = join(r.path(), "user_roles");
        if (!v->is_object()) r.fail(path, std::string("expected an object of user: role, got ") + type_name(*v));
        std::map<std::string, std::string> roles;
        for (const auto& item : v->items()) {
            if (!item.value().is_string()) r.fail(join(path, item.key()), "expected a role name");
            const auto role = item.value().get<std::string>();
            role_or_fail(r, join(path, item.key()), role);
            roles.emplace(item.key(), role);
        }
        a.user_roles = std::move(roles);
    }
    if (r.string("default_user_role", a.default_user_role))
        role_or_fail(r, join(r.path(), "default_user_role"), a.default_user_role);
    r.boolean("metrics_public", a.metrics_public);
    r.boolean("use_identity_as_username", a.use_identity_as_username);
    r.integer("login_failures_per_user", a.login_failures_per_user, 0, 1'000'000);
    r.integer("login_failures_per_address", a.login_failures_per_address, 0, 1'000'000);
    r.finish();
}

}  // namespace

void apply_json(Config& c, const json& j, const std::string& source) {
    ObjectReader r(j, "", source);
    if (r.string("node_name", c.node_name)) {
        // It becomes a topic level of $SYS/brokers/<node>/...
        if (c.node_name.empty() || c.node_name.find_first_of(std::string_view("/+#\0", 4)) != std::string::npos)
            r.fail("node_name", "must be a non-empty topic level (no '/', '+', '#')");
    }
    r.integer("threads", c.threads, 0, 1024);
    std::string level;
    if (r.string("log_level", level)) {
        auto parsed = log::parse_level(level);
        if (!parsed) r.fail("log_level", "must be one of trace, debug, info, warn, error, off; got \"" + level + "\"");
        c.log_level = *parsed;
    }
    if (const json* v = r.member("listeners")) {
        ObjectReader lr(*v, "listeners", source);
        read_listeners(lr, "mqtt", c.listeners.mqtt, 1883);
        read_listeners(lr, "mqtts", c.listeners.mqtts, 8883);
        read_listeners(lr, "http", c.listeners.http, 8080);
        read_listeners(lr, "https", c.listeners.https, 8443);
        lr.finish();
    }
    if (const json* v = r.member("mqtt")) {
        ObjectReader mr(*v, "mqtt", source);
        read_mqtt(mr, c.mqtt);
    }
    if (const json* v = r.member("http")) {
        ObjectReader hr(*v, "http", source);
        read_http(hr, c.http);
    }
    if (const json* v = r.member("requests")) {
        ObjectReader qr(*v, "requests", source);
        read_requests(qr, c.requests);
    }
    if (const json* v = r.member("commands")) {
        ObjectReader cr(*v, "commands", source);
        read_commands(cr, c.commands);
    }
    if (const json* v = r.member("storage")) {
        ObjectReader sr(*v, "storage", source);
        read_storage(sr, c.storage);
    }
    read_named_list(r, "webhooks", c.webhooks, read_webhook);
    read_named_list(r, "bridges", c.bridges, read_bridge);
    if (const json* v = r.member("auth")) {
        ObjectReader ar(*v, "auth", source);
        read_auth(ar, c.auth);
    }
    r.finish();
}

void apply_json_text(Config& config, const std::string& text, const std::string& source) {
    // A key given twice would silently take the last value.
    if (auto defect = json_check::check(text, /*allow_comments=*/true))
        throw ConfigError(source, defect->key, defect->message);
    apply_json(config, json::parse(text, nullptr, true, /*ignore_comments=*/true), source);
}

namespace {

json listener_json(const Listener& l) { return {{"bind", l.bind}, {"port", l.port}}; }

json tls_listener_json(const TlsListener& l) {
    json j = listener_json(l);
    j["cert"] = l.cert;
    j["key"] = l.key;
    j["ca"] = l.ca;
    j["require_client_cert"] = l.require_client_cert;
    j["handshake_timeout"] = l.handshake_timeout.count();
    return j;
}

// --check-config prints the effective config: a plain token is masked.
json tokens_json(const std::vector<TokenOptions>& tokens) {
    json a = json::array();
    for (const auto& t : tokens) {
        json j = {{"name", t.name}, {"role", t.role}};
        if (t.token.empty()) j["token_sha256"] = t.token_sha256;
        else j["token"] = "********";
        a.push_back(std::move(j));
    }
    return a;
}

// --check-config prints the effective config: the secret is masked like a token, as a
// secret that still parses (the key "********"), so the output is a valid config.
json webhooks_json(const std::vector<WebhookOptions>& webhooks) {
    json a = json::array();
    for (const auto& w : webhooks)
        a.push_back({{"name", w.name},
                     {"url", w.url},
                     {"events", w.events},
                     {"topics", w.topics},
                     {"secret", w.secret.empty() ? "" : "whsec_KioqKioqKio="},
                     {"ca_file", w.ca_file},
                     {"headers", w.headers},
                     {"timeout_ms", w.timeout_ms},
                     {"max_age_s", w.max_age_s},
                     {"max_pending", w.max_pending},
                     {"max_connections", w.max_connections},
                     {"batch", {{"max_events", w.batch_max_events}, {"max_wait_ms", w.batch_max_wait_ms}}}});
    return a;
}

// --check-config prints the effective config: the password is masked.
json bridges_json(const std::vector<BridgeOptions>& bridges) {
    static constexpr const char* directions[] = {"out", "in", "both"};
    json a = json::array();
    for (const auto& b : bridges) {
        json addresses = json::array();
        for (const auto& address : b.addresses) addresses.push_back(address.text());
        json topics = json::array();
        for (const auto& t : b.topics)
            topics.push_back({{"filter", t.filter},
                              {"direction", directions[static_cast<int>(t.direction)]},
                              {"qos", t.qos},
                              {"local_prefix", t.local_prefix},
                              {"remote_prefix", t.remote_prefix}});
        json j = {{"name", b.name},
                  {"addresses", std::move(addresses)},
                  {"client_id", b.client_id},
                  {"username", b.username},
                  {"password", b.password.empty() ? "" : "********"},
                  {"local_username", b.local_username},
                  {"clean_session", b.clean_session},
                  {"keepalive", b.keepalive},
                  {"try_private", b.try_private},
                  {"topics", std::move(topics)},
                  {"queue", {{"max_messages", b.queue_max_messages}, {"max_bytes", b.queue_max_bytes}}},
                  {"reconnect", {{"min_ms", b.reconnect_min_ms}, {"max_ms", b.reconnect_max_ms}}}};
        if (b.tls)
            j["tls"] = {{"ca", b.tls_ca}, {"cert", b.tls_cert}, {"key", b.tls_key},
                        {"server_name", b.tls_server_name}, {"verify", b.tls_verify}};
        a.push_back(std::move(j));
    }
    return a;
}

template <class L, class F>
json list_json(const std::vector<L>& listeners, F one) {
    json a = json::array();
    for (const auto& l : listeners) a.push_back(one(l));
    return a;
}

}  // namespace

json to_json(const Config& c) {
    const auto& m = c.mqtt;
    const auto& l = m.limits;
    const auto& h = c.http;
    return {
        {"node_name", c.node_name},
        {"threads", c.threads},
        {"log_level", log::to_string(c.log_level)},
        {"listeners",
         {{"mqtt", list_json(c.listeners.mqtt, listener_json)},
          {"mqtts", list_json(c.listeners.mqtts, tls_listener_json)},
          {"http", list_json(c.listeners.http, listener_json)},
          {"https", list_json(c.listeners.https, tls_listener_json)}}},
        {"mqtt",
         {{"max_packet_size", l.max_packet_size},
          {"max_connect_size", l.max_connect_size},
          {"max_client_id_length", l.max_client_id_length},
          {"max_topic_levels", l.max_topic_levels},
          {"max_subscriptions_per_session", l.max_subscriptions_per_session},
          {"max_inflight", l.max_inflight},
          {"max_queued_messages", l.max_queued_messages},
          {"max_queued_bytes", l.max_queued_bytes},
          {"max_awaiting_rel", l.max_awaiting_rel},
          {"await_rel_timeout", l.await_rel_timeout.count()},
          {"max_outbound_buffer", l.max_outbound_buffer},
          {"max_keepalive", l.max_keepalive.count()},
          {"connect_timeout", m.connect_timeout.count()},
          {"write_timeout", m.write_timeout.count()},
          {"queue_qos0_offline", l.queue_qos0_offline},
          {"sys_interval", m.sys_interval.count()},
          {"max_connections", m.max_connections},
          {"max_publish_rate", m.max_publish_rate}}},
        {"http",
         {{"max_header_size", h.max_header_size},
          {"max_body_size", h.max_body_size},
          {"header_timeout", h.header_timeout.count()},
          {"body_timeout", h.body_timeout.count()},
          {"idle_timeout", h.idle_timeout.count()},
          {"max_pipelined", h.max_pipelined},
          {"cors_origins", h.cors_origins},
          {"allowed_origins", h.allowed_origins},
          {"ws_max_message_size", h.ws_max_message_size},
          {"ws_send_queue_bytes", h.ws_send_queue_bytes},
          {"ws_send_queue_frames", h.ws_send_queue_frames},
          {"stream_compression", h.stream_compression},
          {"stream_compression_level", h.stream_compression_level},
          {"events_buffer", h.events_buffer}}},
        {"requests",
         {{"max_timeout_ms", c.requests.max_timeout_ms},
          {"max_pending", c.requests.max_pending},
          {"max_targets", c.requests.max_targets}}},
        {"commands", {{"max_pending", c.commands.max_pending}, {"max_ttl_s", c.commands.max_ttl_s}}},
        {"storage",
         {{"backend", c.storage.backend == store::BackendKind::memory ? "memory" : "sqlite"},
          {"data_dir", c.storage.data_dir},
          {"path", c.storage.path},
          {"sync", c.storage.sync == store::Sync::full ? "full" : "normal"},
          {"max_pending_batches", c.storage.max_pending_batches}}},
        {"webhooks", webhooks_json(c.webhooks)},
        {"bridges", bridges_json(c.bridges)},
        {"auth",
         {{"allow_anonymous", c.auth.allow_anonymous},
          {"password_file", c.auth.password_file},
          {"acl_file", c.auth.acl_file},
          {"token_file", c.auth.token_file},
          {"tokens", tokens_json(c.auth.tokens)},
          {"user_roles", c.auth.user_roles},
          {"default_user_role", c.auth.default_user_role},
          {"metrics_public", c.auth.metrics_public},
          {"use_identity_as_username", c.auth.use_identity_as_username},
          {"login_failures_per_user", c.auth.login_failures_per_user},
          {"login_failures_per_address", c.auth.login_failures_per_address}}},
    };
}

}  // namespace mqgate::config

// The gateway's whole configuration as one plain struct. Layers, lowest
// first: built-in defaults < config file (JSON with comments) < environment
// (MQGATE_*) < command line. Every field's default and meaning is documented
// next to it; config/default.json is the same set as a file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mqtt/broker_options.hpp"
#include "config/webhook_checks.hpp"
#include "store/options.hpp"
#include "support/log.hpp"

namespace mqgate::config {

// A listener's "bind" may name the loopback interface instead of an address:
// 127.0.0.1, and ::1 where the host has IPv6 (on the same port). The default
// listeners use it, so mqgate without a config is reachable from this machine only.
inline constexpr std::string_view loopback_bind = "localhost";

// An IP address or loopback_bind.
bool valid_bind(const std::string& bind);

struct Listener {
    std::string bind = "0.0.0.0";  // IP address to listen on, or loopback_bind; an entry without one binds all
    std::uint16_t port = 0;        // 0 = an ephemeral port (printed at start-up)
};

struct TlsListener : Listener {
    std::string cert;  // PEM certificate chain (required)
    std::string key;   // PEM private key (required)
    std::string ca;    // PEM CA bundle for client certificates ("" = no client certificates)
    bool require_client_cert = false;       // mutual TLS: no valid client certificate -> handshake fails (needs ca)
    std::chrono::seconds handshake_timeout{10};  // TLS handshake not done by then -> closed
};

struct Listeners {
    std::vector<Listener> mqtt{Listener{std::string(loopback_bind), 1883}};  // MQTT over TCP
    std::vector<TlsListener> mqtts;                         // MQTT over TLS (default port 8883)
    std::vector<Listener> http{Listener{std::string(loopback_bind), 8080}};  // REST, streams, /mqtt WS, dashboard
    std::vector<TlsListener> https;                         // the same over TLS (default port 8443)
};

// The "mqtt" section: broker limits plus the transport's timeouts.
struct MqttOptions {
    // max_packet_size 1048576, max_connect_size 65536, max_client_id_length 256, max_topic_levels 128,
    // max_subscriptions_per_session 1000, max_inflight 20,
    // max_queued_messages 1000, max_queued_bytes 1048576, max_awaiting_rel 100,
    // await_rel_timeout 300 s, max_outbound_buffer 1048576, max_keepalive 0
    // (off), queue_qos0_offline false: see mqtt/broker_options.hpp.
    mqtt::BrokerLimits limits;
    std::chrono::seconds connect_timeout{10};  // no CONNECT within this -> close
    std::chrono::seconds write_timeout{30};    // a write stalled this long -> close (slow consumer)
    std::chrono::seconds sys_interval{10};     // $SYS publishing and QoS 2 expiry period
    std::size_t max_connections = 0;           // live MQTT connections over all listeners; 0 = unlimited
    std::uint32_t max_publish_rate = 0;        // PUBLISH per second per connection; 0 = unlimited
};

// The "http" section, read by http/.
struct HttpOptions {
    std::size_t max_header_size = 8192;              // bytes; larger -> 431
    std::size_t max_body_size = 1 << 20;             // bytes; larger -> 413
    std::chrono::seconds header_timeout{10};         // to receive a request's headers
    std::chrono::seconds body_timeout{30};           // to receive a request's body
    std::chrono::seconds idle_timeout{60};           // keep-alive connection without a request
    std::size_t max_pipelined = 8;                   // queued responses per connection
    std::vector<std::string> cors_origins;           // allowed Origin values ("*" = any); empty = no CORS
    std::vector<std::string> allowed_origins;        // Origin values a WebSocket upgrade may carry; empty = any
    std::size_t ws_max_message_size = 65536;         // bytes per WebSocket message (JSON stream)
    std::size_t ws_send_queue_bytes = 1 << 20;       // per WebSocket client; over -> close 1008
    std::size_t ws_send_queue_frames = 1000;         // per WebSocket client; over -> close 1008
    bool stream_compression = false;                 // JSON stream: permessage-deflate / SSE gzip when offered
    int stream_compression_level = 1;                // zlib level, 1 (fastest) to 9 (smallest)
    std::size_t events_buffer = 1000;                // recent events kept for REST
};

// The "requests" section: requests to devices that wait for the reply
// (POST /api/v1/requests), read by control/.
struct RequestOptions {
    std::uint32_t max_timeout_ms = 60'000;  // largest timeout_ms and wait_for_connect_ms a request may ask
    std::size_t max_pending = 1000;         // device requests waiting at once (each target counts); over -> 429
    std::size_t max_targets = 1000;         // client ids in one request's "targets"
};

// The "commands" section: commands that wait for their device
// (/api/v1/commands), read by control/.
struct CommandOptions {
    std::size_t max_pending = 10'000;      // commands not done at once (over -> 429); as many done ones are kept
    std::uint32_t max_ttl_s = 7 * 86'400;  // largest ttl_s a command may ask
};

// The "storage" section: where retained messages and persistent sessions
// survive restarts (store/, README "Storage").
struct StorageOptions {
    store::BackendKind backend = store::BackendKind::sqlite;  // memory: nothing survives a restart
    std::string data_dir = "mqgate-data";  // created at start-up; holds mqgate.db unless `path` is set
    std::string path;                      // the SQLite file; "" = <data_dir>/mqgate.db
    store::Sync sync = store::Sync::full;
    std::size_t max_pending_batches = 65536;  // writes waiting for a commit; beyond, not acknowledged

    std::string file() const;  // the SQLite file this names
    store::StoreOptions store_options() const;
};

// One entry of the "webhooks" section: events pushed to an HTTP(S) endpoint
// (webhooks/, README "Webhooks").
struct WebhookOptions {
    std::string name;                          // unique, [A-Za-z0-9_.-]{1,64}: its store queue "webhook:<name>", stats, metrics
    std::string url;                           // http://host[:port]/path or https://...
    WebhookUrl target;                         // `url` taken apart (parse_webhook_url)
    std::vector<std::string> events;           // event names it receives (webhook_event_names)
    std::vector<std::string> topics;           // MQTT filters selecting message.publish; none = every topic
    std::string secret;                        // "whsec_" + base64 key; "" = requests are not signed
    std::string ca_file;                       // PEM CAs an https receiver's certificate must chain to; "" = the system's
    std::map<std::string, std::string> headers;  // extra static request headers
    std::uint32_t timeout_ms = 5000;           // one attempt: connect, send, answer
    std::uint32_t max_age_s = 86'400;          // an event not delivered by then is dropped and counted
    std::size_t max_pending = 10'000;          // events waiting; over it the oldest waiting one is dropped
    std::uint32_t max_connections = 4;         // requests under way at once, each on its kept-alive connection
    std::uint32_t batch_max_events = 1;        // events per request, at most; over 1 the body is a JSON array
    std::uint32_t batch_max_wait_ms = 0;       // how long a request waits to fill a batch

    bool operator==(const WebhookOptions&) const = default;  // SIGHUP keeps a webhook whose definition is unchanged
};

// One upstream address of a bridge: "host:port", "[v6]:port".
struct BridgeAddress {
    std::string host;
    std::uint16_t port = 0;
    std::string text() const;  // as written in the config
    bool operator==(const BridgeAddress&) const = default;
};

// "host:port" or "[v6 address]:port", port 1-65535; nullopt otherwise.
std::optional<BridgeAddress> parse_bridge_address(std::string_view text);

enum class BridgeDirection : std::uint8_t { out, in, both };

// One entry of a bridge's "topics": what crosses and how its name changes.
// A local topic local_prefix + T matching local_prefix + filter goes out as
// remote_prefix + T; a remote one remote_prefix + T comes in as local_prefix + T.
struct BridgeTopic {
    std::string filter;
    BridgeDirection direction = BridgeDirection::both;
    std::uint8_t qos = 1;  // the most it crosses with: a message goes at min(its QoS, this)
    std::string local_prefix;
    std::string remote_prefix;
    bool operator==(const BridgeTopic&) const = default;
};

// One entry of the "bridges" section: mqgate as an MQTT 3.1.1 client of an
// upstream broker (bridge/, README "Bridges").
struct BridgeOptions {
    std::string name;                      // unique, [A-Za-z0-9_.-]{1,64}: stats, metrics, log lines
    std::vector<BridgeAddress> addresses;  // tried in turn: the next after each failure
    bool tls = false;                      // a "tls" object was given
    std::string tls_ca;                    // PEM CAs the upstream's certificate must chain to; "" = the system's
    std::string tls_cert, tls_key;         // client certificate and key (both or neither)
    std::string tls_server_name;           // SNI and the name verified; "" = the address's host
    bool tls_verify = true;                // verify the upstream's certificate and name
    std::string client_id;                 // "" = <node_name>-<name>
    std::string username;                  // "" = none
    std::string password;                  // "" = none
    // Who the bridge is to the local ACL (Mosquitto's local_username): upstream
    // messages are published locally only to topics it may write, local ones
    // go upstream only from topics it may read; "" = the ACL's anonymous rules.
    std::string local_username;
    bool clean_session = false;            // false: the upstream keeps our subscriptions and QoS 1/2 messages
    std::uint16_t keepalive = 60;          // seconds, PINGREQ interval
    // CONNECT as a bridge (protocol level 0x84, Mosquitto's try_private): an
    // upstream that knows it keeps the retain flag as published and sends
    // nothing back that came from us; one that refuses it is asked again with
    // plain 3.1.1 (level 4).
    bool try_private = true;
    std::vector<BridgeTopic> topics;
    std::size_t queue_max_messages = 10'000;   // waiting to go upstream (and unacknowledged)
    std::size_t queue_max_bytes = 16 << 20;    // payload bytes of the same
    std::uint32_t reconnect_min_ms = 500;      // first wait after a failure, doubled per failure
    std::uint32_t reconnect_max_ms = 30'000;   // the longest wait
    bool operator==(const BridgeOptions&) const = default;
};

// An API token as configured: the token itself or its SHA-256 (hex).
struct TokenOptions {
    std::string token;         // the secret ("" when token_sha256 is given)
    std::string token_sha256;  // 64 hex digits ("" when token is given)
    std::string name;          // who it identifies: logs and the ACL's username
    std::string role;          // admin | publish | subscribe | read
};

struct AuthOptions {
    bool allow_anonymous = true;  // CONNECT without username accepted (warned at start-up)
    std::string password_file;    // "" = no password file
    std::string acl_file;         // "" = everything allowed
    std::string token_file;       // "" = none; lines "<name> <role> <sha256 hex>"
    std::vector<TokenOptions> tokens;             // API tokens in the config itself
    std::map<std::string, std::string> user_roles;  // password-file user -> HTTP role
    std::string default_user_role = "subscribe";  // HTTP role of users not in user_roles
    bool metrics_public = false;                  // /metrics without credentials
    bool use_identity_as_username = false;        // mutual TLS: the certificate CN is the username
    // Failed password logins before a username / a peer address backs off
    // (config/login_throttle.hpp); 0 = never. Read at start-up only.
    std::uint32_t login_failures_per_user = 5;
    std::uint32_t login_failures_per_address = 20;
};

struct Config {
    std::string node_name = "mqgate";          // $SYS/brokers/<node>/...
    unsigned threads = 1;                      // I/O threads; 0 = number of cores (README "Threads")
    log::Level log_level = log::Level::info;   // trace|debug|info|warn|error|off
    Listeners listeners;
    MqttOptions mqtt;
    HttpOptions http;
    RequestOptions requests;
    CommandOptions commands;
    StorageOptions storage;
    std::vector<WebhookOptions> webhooks;
    std::vector<BridgeOptions> bridges;
    AuthOptions auth;
    std::string file;  // the config file read, "" when none

    mqtt::BrokerOptions broker_options(std::string version) const;
};

// Names where a bad value came from (a file, "environment", "command line"),
// the key path (e.g. "mqtt.max_inflight", may be empty) and why it is bad.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string source, std::string key, std::string reason);
    const std::string& source() const noexcept { return source_; }
    const std::string& key() const noexcept { return key_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string source_, key_, reason_;
};

// MQGATE_* variables of the process (name -> value).
using Environment = std::map<std::string, std::string>;
Environment process_environment();

enum class Action { run, check_config, help, version };

struct Invocation {
    Action action = Action::run;
    Config config;
};

// Parses the command line (argv[0] is skipped), reads --config if given,
// applies `env` and the command line. Throws ConfigError.
Invocation load_config(int argc, const char* const* argv, const Environment& env);
inline Invocation load_config(int argc, const char* const* argv) {
    return load_config(argc, argv, process_environment());
}

// Parses a config file's text onto `config` (keys not given keep their
// value). `source` names the file in errors.
void apply_json_text(Config& config, const std::string& text, const std::string& source);
void apply_json(Config& config, const nlohmann::json& j, const std::string& source);

// The effective configuration in the config file's format.
nlohmann::json to_json(const Config& config);

const char* usage() noexcept;

}  // namespace mqgate::config

// Layering: defaults, then the file, then MQGATE_* variables, then the
// command line. Environment and command-line values go through the same
// validation as the file (as small JSON documents), so every layer reports
// errors the same way.
#include "config/config.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include <boost/asio/ip/address.hpp>

extern char** environ;

namespace mqgate::config {

using nlohmann::json;

ConfigError::ConfigError(std::string source, std::string key, std::string reason)
    : std::runtime_error(source + ": " + (key.empty() ? "" : key + ": ") + reason),
      source_(std::move(source)),
      key_(std::move(key)),
      reason_(std::move(reason)) {}

mqtt::BrokerOptions Config::broker_options(std::string version) const {
    mqtt::BrokerOptions o;
    o.node_name = node_name;
    o.version = std::move(version);
    o.limits = mqtt.limits;
    o.allow_anonymous = auth.allow_anonymous;
    return o;
}

std::string StorageOptions::file() const { return path.empty() ? data_dir + "/mqgate.db" : path; }

store::StoreOptions StorageOptions::store_options() const {
    store::StoreOptions o;
    o.backend = backend;
    o.path = file();
    o.sync = sync;
    o.max_pending_batches = max_pending_batches;
    return o;
}

bool valid_bind(const std::string& bind) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(bind, ec);
    return !ec || bind == loopback_bind;
}

Environment process_environment() {
    Environment env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with("MQGATE_")) continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return env;
}

const char* usage() noexcept {
    return "usage: mqgate [--config FILE] [--mqtt-port N] [--http-port N] [--bind ADDR]\n"
           "              [--threads N] [--log-level LEVEL] [--data-dir DIR] [--check-config]\n"
           "              [--help] [--version]\n"
           "\n"
           "  --config FILE     JSON config file (comments allowed); without it the defaults apply\n"
           "  --mqtt-port N     port of the first MQTT listener (0 = ephemeral)\n"
           "  --http-port N     port of the first HTTP listener (0 = ephemeral)\n"
           "  --bind ADDR       bind address of every listener (default localhost: 127.0.0.1 and ::1\n"
           "                    only; 0.0.0.0 opens mqgate to the network)\n"
           "  --threads N       I/O threads (0 = number of cores)\n"
           "  --log-level L     trace, debug, info, warn, error or off\n"
           "  --data-dir DIR    where the state that survives restarts is kept (storage.data_dir,\n"
           "                    default ./mqgate-data; created at start-up)\n"
           "  --check-config    validate, print the effective config as JSON and exit\n"
           "\n"
           "Environment (overrides the file, overridden by the command line):\n"
           "  MQGATE_NODE_NAME, MQGATE_THREADS, MQGATE_LOG_LEVEL, MQGATE_MQTT_PORT, MQGATE_HTTP_PORT,\n"
           "  MQGATE_MQTT_BIND, MQGATE_HTTP_BIND, and any key as MQGATE_<SECTION>__<KEY>\n"
           "  (e.g. MQGATE_MQTT__MAX_INFLIGHT=50).\n";
}

namespace {

std::string read_file(const std::string& path) {
    // A directory opens as a stream and reads as empty: say what it is instead of a parse error.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ConfigError(path, "", "is a directory, not a config file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path, "", std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(path, "", "cannot read");
    return text.str();
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::uint16_t port_or_throw(std::string_view text, const std::string& source, const std::string& key) {
    auto port = parse_port(text);
    if (!port) throw ConfigError(source, key, "expected a port number 0..65535, got \"" + std::string(text) + "\"");
    return *port;
}

std::string address_or_throw(const std::string& text, const std::string& source, const std::string& key) {
    if (!valid_bind(text)) throw ConfigError(source, key, "not an IP address or \"localhost\": \"" + text + "\"");
    return text;
}

template <class L>
void set_first_port(std::vector<L>& listeners, std::uint16_t port) {
    if (listeners.empty()) listeners.emplace_back();
    listeners.front().port = port;
}

// A value given as text (environment, command line) becomes JSON of the type
// the key has by default, so "50" is an integer for mqtt.max_inflight and a
// string for node_name.
json typed_value(const std::string& text, const json& like) {
    if (like.is_string()) return text;
    try {
        return json::parse(text);
    } catch (const json::parse_error&) {
        return text;  // validation then reports the wrong type
    }
}

// Applies {"a": {"b": value}} for path a.b; errors name `key` (the variable
// or option) instead of the path.
void apply_path(Config& c, const std::vector<std::string>& path, const std::string& text, const std::string& source,
                const std::string& key) {
    static const json defaults = to_json(Config{});
    const json* like = &defaults;
    std::string dotted;
    for (const auto& p : path) {
        dotted += (dotted.empty() ? "" : ".") + p;
        if (!like->is_object() || !like->contains(p)) throw ConfigError(source, key, "unknown key " + dotted);
        like = &(*like)[p];
    }
    json doc = typed_value(text, *like);
    for (auto it = path.rbegin(); it != path.rend(); ++it) doc = json{{*it, std::move(doc)}};
    try {
        apply_json(c, doc, source);
    } catch (const ConfigError& e) {
        throw ConfigError(source, key, e.reason());
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return out;
}

void apply_environment(Config& c, const Environment& env) {
    const std::string source = "environment";
    // MQGATE_SECTION__KEY: any key of the file.
    for (const auto& [name, value] : env) {
        std::string_view rest(name);
        if (!rest.starts_with("MQGATE_") || rest.find("__") == std::string_view::npos) continue;
        rest.remove_prefix(7);
        std::vector<std::string> path;
        for (std::size_t pos; (pos = rest.find("__")) != std::string_view::npos; rest.remove_prefix(pos + 2))
            path.push_back(lower(rest.substr(0, pos)));
        path.push_back(lower(rest));
        apply_path(c, path, value, source, name);
    }
    auto get = [&env](const char* name) -> const std::string* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : &it->second;
    };
    if (auto v = get("MQGATE_NODE_NAME")) apply_path(c, {"node_name"}, *v, source, "MQGATE_NODE_NAME");
    if (auto v = get("MQGATE_THREADS")) apply_path(c, {"threads"}, *v, source, "MQGATE_THREADS");
    if (auto v = get("MQGATE_LOG_LEVEL")) apply_path(c, {"log_level"}, *v, source, "MQGATE_LOG_LEVEL");
    if (auto v = get("MQGATE_MQTT_PORT"))
        set_first_port(c.listeners.mqtt, port_or_throw(*v, source, "MQGATE_MQTT_PORT"));
    if (auto v = get("MQGATE_HTTP_PORT"))
        set_first_port(c.listeners.http, port_or_throw(*v, source, "MQGATE_HTTP_PORT"));
    if (auto v = get("MQGATE_MQTT_BIND")) {
        const auto bind = address_or_throw(*v, source, "MQGATE_MQTT_BIND");
        for (auto& l : c.listeners.mqtt) l.bind = bind;
        for (auto& l : c.listeners.mqtts) l.bind = bind;
    }
    if (auto v = get("MQGATE_HTTP_BIND")) {
        const auto bind = address_or_throw(*v, source, "MQGATE_HTTP_BIND");
        for (auto& l : c.listeners.http) l.bind = bind;
        for (auto& l : c.listeners.https) l.bind = bind;
    }
}

struct CommandLine {
    Action action = Action::run;
    std::optional<std::string> config_file;
    std::vector<std::pair<std::string, std::string>> overrides;  // option, value, in order
};

CommandLine parse_command_line(int argc, const char* const* argv) {
    const std::string source = "command line";
    CommandLine cl;
    static constexpr std::string_view with_value[] = {"--config",  "--mqtt-port", "--http-port", "--bind",
                                                      "--threads", "--log-level", "--data-dir"};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::optional<std::string> value;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        }
        if (arg == "--help" || arg == "-h") {
            cl.action = Action::help;
            continue;
        }
        if (arg == "--version") {
            if (cl.action != Action::help) cl.action = Action::version;
            continue;
        }
        if (arg == "--check-config") {
            if (cl.action == Action::run) cl.action = Action::check_config;
            continue;
        }
        bool known = false;
        for (auto opt : with_value) known = known || arg == opt;
        if (!known) throw ConfigError(source, arg, "unknown option (see --help)");
        if (!value) {
            if (i + 1 >= argc) throw ConfigError(source, arg, "requires a value");
            value = argv[++i];
        }
        if (arg == "--config") cl.config_file = *value;
        else cl.overrides.emplace_back(arg, *value);
    }
    return cl;
}

void apply_command_line(Config& c, const CommandLine& cl) {
    const std::string source = "command line";
    for (const auto& [opt, value] : cl.overrides) {
        if (opt == "--mqtt-port") set_first_port(c.listeners.mqtt, port_or_throw(value, source, opt));
        else if (opt == "--http-port") set_first_port(c.listeners.http, port_or_throw(value, source, opt));
        else if (opt == "--threads") apply_path(c, {"threads"}, value, source, opt);
        else if (opt == "--log-level") apply_path(c, {"log_level"}, value, source, opt);
        else if (opt == "--data-dir") apply_path(c, {"storage", "data_dir"}, value, source, opt);
        else if (opt == "--bind") {
            const auto bind = address_or_throw(value, source, opt);
            for (auto& l : c.listeners.mqtt) l.bind = bind;
            for (auto& l : c.listeners.mqtts) l.bind = bind;
            for (auto& l : c.listeners.http) l.bind = bind;
            for (auto& l : c.listeners.https) l.bind = bind;
        }
    }
}

}  // namespace

Invocation load_config(int argc, const char* const* argv, const Environment& env) {
    Invocation inv;
    const CommandLine cl = parse_command_line(argc, argv);
    inv.action = cl.action;
    if (cl.action == Action::help || cl.action == Action::version) return inv;
    if (cl.config_file) {
        inv.config.file = *cl.config_file;
        apply_json_text(inv.config, read_file(*cl.config_file), *cl.config_file);
    }
    apply_environment(inv.config, env);
    apply_command_line(inv.config, cl);
    return inv;
}

}  // namespace mqgate::config

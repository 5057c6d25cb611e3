#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace mqgate::config {
namespace {

class ConfigTest : public ::testing::Test {
protected:
    void TearDown() override {
        for (const auto& f : files_) std::remove(f.c_str());
    }

    std::string write_file(const std::string& text) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string path = ::testing::TempDir() + "mqgate_config_" + info->name() + "_" +
                           std::to_string(files_.size()) + ".json";
        std::ofstream(path) << text;
        files_.push_back(path);
        return path;
    }

    static Invocation load(std::vector<std::string> args, const Environment& env = {}) {
        args.insert(args.begin(), "mqgate");
        std::vector<const char*> argv;
        for (const auto& a : args) argv.push_back(a.c_str());
        return load_config(static_cast<int>(argv.size()), argv.data(), env);
    }

    // The error load() throws, with its message checked to name everything a
    // user needs to find the mistake.
    static ConfigError load_error(std::vector<std::string> args, const Environment& env = {}) {
        try {
            load(std::move(args), env);
        } catch (const ConfigError& e) {
            return e;
        }
        ADD_FAILURE() << "no ConfigError thrown";
        return ConfigError("", "", "");
    }

    std::vector<std::string> files_;
};

void expect_mentions(const ConfigError& e, const std::string& source, const std::string& key,
                     const std::string& reason_part) {
    const std::string message = e.what();
    EXPECT_EQ(e.source(), source);
    EXPECT_EQ(e.key(), key);
    EXPECT_NE(message.find(source), std::string::npos) << message;
    EXPECT_NE(message.find(key), std::string::npos) << message;
    EXPECT_NE(message.find(reason_part), std::string::npos) << message;
}

TEST_F(ConfigTest, DefaultsWithoutAFile) {
    const Invocation inv = load({});
    const Config& c = inv.config;
    EXPECT_EQ(inv.action, Action::run);
    EXPECT_EQ(c.node_name, "mqgate");
    EXPECT_EQ(c.threads, 1u);  // the fastest setting until the core scales (README "Threads")
    EXPECT_EQ(c.log_level, log::Level::info);
    ASSERT_EQ(c.listeners.mqtt.size(), 1u);
    EXPECT_EQ(c.listeners.mqtt[0].bind, "localhost");  // loopback only until the operator opens it
    EXPECT_EQ(c.listeners.mqtt[0].port, 1883);
    ASSERT_EQ(c.listeners.http.size(), 1u);
    EXPECT_EQ(c.listeners.http[0].bind, "localhost");
    EXPECT_EQ(c.listeners.http[0].port, 8080);
    EXPECT_TRUE(c.listeners.mqtts.empty());
    EXPECT_EQ(c.mqtt.limits.max_packet_size, 1048576u);
    EXPECT_EQ(c.mqtt.limits.max_connect_size, 65536u);
    EXPECT_EQ(c.mqtt.limits.max_inflight, 20u);
    EXPECT_EQ(c.mqtt.limits.await_rel_timeout, std::chrono::seconds(300));
    EXPECT_EQ(c.mqtt.connect_timeout, std::chrono::seconds(10));
    EXPECT_EQ(c.mqtt.write_timeout, std::chrono::seconds(30));
    EXPECT_EQ(c.mqtt.sys_interval, std::chrono::seconds(10));
    EXPECT_EQ(c.http.max_pipelined, 8u);
    EXPECT_TRUE(c.auth.allow_anonymous);
}

// The repository root comes from the build (MQGATE_SOURCE_DIR): __FILE__ is
// relative to the build directory when ccache's base_dir rewrites the paths.
std::string repo_file(const std::string& relative) { return std::string(MQGATE_SOURCE_DIR) + "/" + relative; }

TEST_F(ConfigTest, ShippedDefaultFileEqualsBuiltInDefaults) {
    const Invocation from_file = load({"--config", repo_file("config/default.json")});
    EXPECT_EQ(to_json(from_file.config), to_json(Config{}));
}

TEST_F(ConfigTest, FileValuesApplyAndOthersKeepDefaults) {
    const auto path = write_file(R"({
        // comments are allowed
        "node_name": "edge-1",
        "threads": 3,
        "log_level": "debug",
        "listeners": {
            "mqtt": [ { "bind": "127.0.0.1", "port": 1999 }, { "port": 2000 } ],
            "mqtts": [ { "port": 8884, "cert": "c.pem", "key": "k.pem" } ],
            "http": []
        },
        "mqtt": { "max_inflight": 50, "await_rel_timeout": 60, "queue_qos0_offline": true },
        "http": { "cors_origins": ["https://a.example"] },
        "auth": { "allow_anonymous": false, "password_file": "/etc/mqgate/passwd" }
    })");
    const Config c = load({"--config", path}).config;
    EXPECT_EQ(c.file, path);
    EXPECT_EQ(c.node_name, "edge-1");
    EXPECT_EQ(c.threads, 3u);
    EXPECT_EQ(c.log_level, log::Level::debug);
    ASSERT_EQ(c.listeners.mqtt.size(), 2u);
    EXPECT_EQ(c.listeners.mqtt[0].bind, "127.0.0.1");
    EXPECT_EQ(c.listeners.mqtt[0].port, 1999);
    EXPECT_EQ(c.listeners.mqtt[1].bind, "0.0.0.0");
    EXPECT_EQ(c.listeners.mqtt[1].port, 2000);
    ASSERT_EQ(c.listeners.mqtts.size(), 1u);
    EXPECT_EQ(c.listeners.mqtts[0].cert, "c.pem");
    EXPECT_TRUE(c.listeners.http.empty());
    EXPECT_EQ(c.mqtt.limits.max_inflight, 50u);
    EXPECT_EQ(c.mqtt.limits.await_rel_timeout, std::chrono::seconds(60));
    EXPECT_TRUE(c.mqtt.limits.queue_qos0_offline);
    EXPECT_EQ(c.mqtt.limits.max_queued_messages, 1000u);  // untouched
    EXPECT_EQ(c.http.cors_origins, std::vector<std::string>{"https://a.example"});
    EXPECT_FALSE(c.auth.allow_anonymous);

    const auto broker = c.broker_options("1.2.3");
    EXPECT_EQ(broker.node_name, "edge-1");
    EXPECT_EQ(broker.version, "1.2.3");
    EXPECT_EQ(broker.limits.max_inflight, 50u);
    EXPECT_FALSE(broker.allow_anonymous);
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
    const auto path = write_file(R"({ "node_name": "from-file", "threads": 2, "mqtt": { "max_inflight": 5 },
                                      "listeners": { "http": [] } })");
    const Config c = load({"--config", path}, {{"MQGATE_NODE_NAME", "from-env"},
                                                {"MQGATE_THREADS", "4"},
                                                {"MQGATE_LOG_LEVEL", "warn"},
                                                {"MQGATE_MQTT_PORT", "1884"},
                                                {"MQGATE_HTTP_PORT", "8081"},
                                                {"MQGATE_MQTT_BIND", "127.0.0.2"},
                                                {"MQGATE_MQTT__MAX_INFLIGHT", "7"},
                                                {"MQGATE_AUTH__ALLOW_ANONYMOUS", "false"},
                                                {"MQGATE_BINARY", "ignored: not a config variable"}})
                         .config;
    EXPECT_EQ(c.node_name, "from-env");
    EXPECT_EQ(c.threads, 4u);
    EXPECT_EQ(c.log_level, log::Level::warn);
    ASSERT_EQ(c.listeners.mqtt.size(), 1u);
    EXPECT_EQ(c.listeners.mqtt[0].port, 1884);
    EXPECT_EQ(c.listeners.mqtt[0].bind, "127.0.0.2");
    ASSERT_EQ(c.listeners.http.size(), 1u);  // created: the file had none
    EXPECT_EQ(c.listeners.http[0].port, 8081);
    EXPECT_EQ(c.mqtt.limits.max_inflight, 7u);
    EXPECT_FALSE(c.auth.allow_anonymous);
}

TEST_F(ConfigTest, CommandLineOverridesEnvironmentAndFile) {
    const auto path = write_file(R"({ "threads": 2, "log_level": "error",
        "listeners": { "mqtt": [ { "bind": "0.0.0.0", "port": 1999 } ], "http": [ { "port": 9000 } ] } })");
    const Config c = load({"--config", path, "--threads", "1", "--log-level=trace", "--mqtt-port", "0",
                           "--http-port", "0", "--bind", "127.0.0.1"},
                          {{"MQGATE_THREADS", "4"}, {"MQGATE_MQTT_PORT", "1884"}})
                         .config;
    EXPECT_EQ(c.threads, 1u);
    EXPECT_EQ(c.log_level, log::Level::trace);
    EXPECT_EQ(c.listeners.mqtt[0].port, 0);
    EXPECT_EQ(c.listeners.http[0].port, 0);
    EXPECT_EQ(c.listeners.mqtt[0].bind, "127.0.0.1");
    EXPECT_EQ(c.listeners.http[0].bind, "127.0.0.1");
}

TEST_F(ConfigTest, ActionsFromTheCommandLine) {
    EXPECT_EQ(load({"--check-config"}).action, Action::check_config);
    EXPECT_EQ(load({"--version"}).action, Action::version);
    EXPECT_EQ(load({"--help"}).action, Action::help);
    // --help wins and reads no file.
    EXPECT_EQ(load({"--config", "/nonexistent/mqgate.json", "--help"}).action, Action::help);
}

TEST_F(ConfigTest, MissingFileNamesTheFile) {
    const auto e = load_error({"--config", "/nonexistent/mqgate.json"});
    expect_mentions(e, "/nonexistent/mqgate.json", "", "cannot open");
}

TEST_F(ConfigTest, SyntaxErrorNamesLineAndColumn) {
    const auto path = write_file("{\n  \"threads\": 2,\n  \"node_name\": oops\n}\n");
    const auto e = load_error({"--config", path});
    expect_mentions(e, path, "", "line 3, column");
}

TEST_F(ConfigTest, RepeatedKeyNamesTheKey) {
    const auto path = write_file("{\n  \"mqtt\": { \"max_inflight\": 3, // first\n  \"max_inflight\": 30 }\n}\n");
    expect_mentions(load_error({"--config", path}), path, "mqtt.max_inflight", "duplicate key 'max_inflight'");
}

TEST_F(ConfigTest, DirectoryAsConfigFileSaysSo) {
    const auto dir = ::testing::TempDir();
    expect_mentions(load_error({"--config", dir}), dir, "", "is a directory");
}

TEST_F(ConfigTest, UnknownKeyNamesTheKeyPath) {
    const auto path = write_file(R"({ "mqtt": { "max_inflght": 3 } })");
    expect_mentions(load_error({"--config", path}), path, "mqtt.max_inflght", "unknown key");

    const auto listener = write_file(R"({ "listeners": { "mqtt": [ { "prot": 1 } ] } })");
    expect_mentions(load_error({"--config", listener}), listener, "listeners.mqtt[0].prot", "unknown key");
}

TEST_F(ConfigTest, WrongTypeNamesExpectedType) {
    const auto path = write_file(R"({ "mqtt": { "max_inflight": "20" } })");
    expect_mentions(load_error({"--config", path}), path, "mqtt.max_inflight", "expected an integer");

    const auto fractional = write_file(R"({ "mqtt": { "connect_timeout": 1.5 } })");
    expect_mentions(load_error({"--config", fractional}), fractional, "mqtt.connect_timeout", "expected an integer");

    const auto boolean = write_file(R"({ "auth": { "allow_anonymous": "yes" } })");
    expect_mentions(load_error({"--config", boolean}), boolean, "auth.allow_anonymous", "expected true or false");
}

TEST_F(ConfigTest, OutOfRangeNamesTheLimits) {
    const auto path = write_file(R"({ "mqtt": { "max_inflight": 0 } })");
    expect_mentions(load_error({"--config", path}), path, "mqtt.max_inflight", "must be between 1 and 65535");

    const auto connect = write_file(R"({ "mqtt": { "max_connect_size": 100 } })");
    expect_mentions(load_error({"--config", connect}), connect, "mqtt.max_connect_size", "must be between 128 and");

    const auto negative = write_file(R"({ "listeners": { "mqtt": [ { "port": -1 } ] } })");
    expect_mentions(load_error({"--config", negative}), negative, "listeners.mqtt[0].port", "must be between 0 and 65535");

    const auto bind = write_file(R"({ "listeners": { "http": [ { "bind": "localhost:80" } ] } })");
    expect_mentions(load_error({"--config", bind}), bind, "listeners.http[0].bind", "not an IP address");

    const auto tls = write_file(R"({ "listeners": { "mqtts": [ { "port": 8883, "key": "k.pem" } ] } })");
    expect_mentions(load_error({"--config", tls}), tls, "listeners.mqtts[0].cert", "required");

    const auto ttl = write_file(R"({ "commands": { "max_ttl_s": 0 } })");
    expect_mentions(load_error({"--config", ttl}), ttl, "commands.max_ttl_s", "must be between 1 and 31622400");
    const auto pending = write_file(R"({ "commands": { "max_pending": 0 } })");
    expect_mentions(load_error({"--config", pending}), pending, "commands.max_pending", "must be between 1 and");
}

TEST_F(ConfigTest, BadLogLevelListsTheLevels) {
    const auto path = write_file(R"({ "log_level": "verbose" })");
    expect_mentions(load_error({"--config", path}), path, "log_level", "trace, debug, info, warn, error, off");
    expect_mentions(load_error({"--log-level", "loud"}), "command line", "--log-level", "must be one of");
}

TEST_F(ConfigTest, BadEnvironmentValuesNameTheVariable) {
    expect_mentions(load_error({}, {{"MQGATE_MQTT__MAX_INFLIGHT", "lots"}}), "environment",
                    "MQGATE_MQTT__MAX_INFLIGHT", "expected an integer");
    expect_mentions(load_error({}, {{"MQGATE_MQTT__NO_SUCH_KEY", "1"}}), "environment", "MQGATE_MQTT__NO_SUCH_KEY",
                    "unknown key mqtt.no_such_key");
    expect_mentions(load_error({}, {{"MQGATE_MQTT_PORT", "70000"}}), "environment", "MQGATE_MQTT_PORT",
                    "port number");
}

TEST_F(ConfigTest, BadCommandLineUsage) {
    expect_mentions(load_error({"--frobnicate"}), "command line", "--frobnicate", "unknown option");
    expect_mentions(load_error({"--mqtt-port"}), "command line", "--mqtt-port", "requires a value");
    expect_mentions(load_error({"--mqtt-port", "http"}), "command line", "--mqtt-port", "port number");
    expect_mentions(load_error({"--threads", "-1"}), "command line", "--threads", "must be between 0 and 1024");
    expect_mentions(load_error({"--bind", "not-an-ip"}), "command line", "--bind", "not an IP address");
}

TEST_F(ConfigTest, LocalhostIsTheOnlyNameABindAccepts) {
    const auto path = write_file(R"({ "listeners": { "mqtt": [ { "bind": "localhost", "port": 1 } ] } })");
    EXPECT_EQ(load({"--config", path}).config.listeners.mqtt[0].bind, "localhost");
    const Config opened = load({"--bind", "0.0.0.0"}).config;
    EXPECT_EQ(opened.listeners.mqtt[0].bind, "0.0.0.0");
    EXPECT_EQ(opened.listeners.http[0].bind, "0.0.0.0");
    EXPECT_EQ(load({}, {{"MQGATE_HTTP_BIND", "localhost"}}).config.listeners.http[0].bind, "localhost");
    const auto name = write_file(R"({ "listeners": { "mqtt": [ { "bind": "example.org" } ] } })");
    expect_mentions(load_error({"--config", name}), name, "listeners.mqtt[0].bind", "not an IP address or");
}

TEST_F(ConfigTest, EffectiveConfigRoundTrips) {
    Config c;
    c.node_name = "n1";
    c.mqtt.limits.max_inflight = 33;
    c.listeners.https.push_back(TlsListener{{"127.0.0.1", 8443}, "c.pem", "k.pem", ""});
    Config back;
    apply_json(back, to_json(c), "round trip");
    EXPECT_EQ(to_json(back), to_json(c));
    EXPECT_EQ(back.mqtt.limits.max_inflight, 33u);
}

}  // namespace
}  // namespace mqgate::config

// The "bridges" section: what a user writes, and the key a mistake is reported under.
#include <string>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace mqgate::config {
namespace {

Config parse(const std::string& text) {
    Config c;
    apply_json_text(c, text, "bridges.json");
    return c;
}

// The key path of the error a one-bridge config gives.
std::string error_key(const std::string& bridge) {
    try {
        parse(R"({"bridges": [ )" + bridge + " ]}");
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.source(), "bridges.json");
        return e.key();
    }
    return "no error";
}

TEST(BridgeConfig, FullEntryIsRead) {
    const Config c = parse(R"({"bridges": [ {"name": "up", "addresses": ["emqx1:1883", "[::1]:8883"],
        "client_id": "edge-up", "username": "u", "password": "p", "local_username": "bridge-up", "clean_session": true, "keepalive": 30,
        "topics": [ {"filter": "sensors/#", "direction": "out", "qos": 2, "local_prefix": "", "remote_prefix": "site1/"},
                    {"filter": "cmd/#", "direction": "in", "qos": 0} ],
        "queue": {"max_messages": 5, "max_bytes": 2048}, "reconnect": {"min_ms": 100, "max_ms": 1000} } ]})");
    ASSERT_EQ(c.bridges.size(), 1u);
    const auto& b = c.bridges[0];
    EXPECT_EQ(b.name, "up");
    ASSERT_EQ(b.addresses.size(), 2u);
    EXPECT_EQ(b.addresses[0].host, "emqx1");
    EXPECT_EQ(b.addresses[0].port, 1883);
    EXPECT_EQ(b.addresses[1].host, "::1");
    EXPECT_EQ(b.addresses[1].text(), "[::1]:8883");
    EXPECT_FALSE(b.tls);
    EXPECT_EQ(b.client_id, "edge-up");
    EXPECT_EQ(b.local_username, "bridge-up");
    EXPECT_TRUE(b.clean_session);
    EXPECT_EQ(b.keepalive, 30);
    ASSERT_EQ(b.topics.size(), 2u);
    EXPECT_EQ(b.topics[0].direction, BridgeDirection::out);
    EXPECT_EQ(b.topics[0].qos, 2);
    EXPECT_EQ(b.topics[0].remote_prefix, "site1/");
    EXPECT_EQ(b.topics[1].direction, BridgeDirection::in);
    EXPECT_EQ(b.queue_max_messages, 5u);
    EXPECT_EQ(b.queue_max_bytes, 2048u);
    EXPECT_EQ(b.reconnect_min_ms, 100u);
    EXPECT_EQ(b.reconnect_max_ms, 1000u);
}

TEST(BridgeConfig, Defaults) {
    const auto config = parse(R"({"bridges": [ {"name": "u", "addresses": ["h:1"],
        "topics": [ {"filter": "#", "direction": "both"} ]} ]})");
    const auto& b = config.bridges[0];
    EXPECT_EQ(b.client_id, "");
    EXPECT_FALSE(b.clean_session);
    EXPECT_EQ(b.keepalive, 60);
    EXPECT_EQ(b.topics[0].qos, 1);
    EXPECT_EQ(b.queue_max_messages, 10'000u);
}

TEST(BridgeConfig, AddressesAreHostColonPort) {
    EXPECT_TRUE(parse_bridge_address("127.0.0.1:1883"));
    EXPECT_TRUE(parse_bridge_address("broker.example:65535"));
    EXPECT_FALSE(parse_bridge_address("broker.example"));
    EXPECT_FALSE(parse_bridge_address("broker:0"));
    EXPECT_FALSE(parse_bridge_address("broker:65536"));
    EXPECT_FALSE(parse_bridge_address("::1:1883"));
    EXPECT_FALSE(parse_bridge_address(":1883"));
    EXPECT_FALSE(parse_bridge_address("h:12x"));
}

TEST(BridgeConfig, BadValuesNameTheKey) {
    const std::string base = R"("name": "a", "addresses": ["h:1"])";
    const std::string topics = R"("topics": [{"filter": "#", "direction": "out"}])";
    EXPECT_EQ(error_key(R"({"addresses": ["h:1"], )" + topics + "}"), "bridges[0].name");
    EXPECT_EQ(error_key(R"({"name": "a", )" + topics + "}"), "bridges[0].addresses");
    EXPECT_EQ(error_key(R"({"name": "a", "addresses": ["h:1", "nope"], )" + topics + "}"), "bridges[0].addresses[1]");
    EXPECT_EQ(error_key("{" + base + "}"), "bridges[0].topics");
    EXPECT_EQ(error_key("{" + base + R"(, "topics": [{"filter": "a/#/b", "direction": "out"}]})"),
              "bridges[0].topics[0].local_prefix");
    EXPECT_EQ(error_key("{" + base + R"(, "topics": [{"filter": "#", "direction": "up"}]})"),
              "bridges[0].topics[0].direction");
    EXPECT_EQ(error_key("{" + base + R"(, "topics": [{"filter": "#", "direction": "in", "qos": 3}]})"),
              "bridges[0].topics[0].qos");
    EXPECT_EQ(error_key("{" + base + R"(, "topics": [{"filter": "a", "direction": "in", "remote_prefix": "+/"}]})"),
              "bridges[0].topics[0].remote_prefix");
    EXPECT_EQ(error_key("{" + base + ", " + topics + R"(, "queue": {"max_messages": 0}})"),
              "bridges[0].queue.max_messages");
    EXPECT_EQ(error_key("{" + base + ", " + topics + R"(, "reconnect": {"min_ms": 500, "max_ms": 100}})"),
              "bridges[0].reconnect.max_ms");
    EXPECT_EQ(error_key("{" + base + ", " + topics + R"(, "tls": {"ca": "/nonexistent/ca.pem"}})"),
              "bridges[0].tls.ca");
    EXPECT_EQ(error_key("{" + base + ", " + topics + R"(, "keepalive": 1})"), "bridges[0].keepalive");
    EXPECT_EQ(error_key("{" + base + ", " + topics + R"(, "retain": true})"), "bridges[0].retain");
    EXPECT_EQ(error_key("{" + base + ", " + topics + "}, {" + base + ", " + topics + "}"), "bridges[1].name");
}

TEST(BridgeConfig, EffectiveConfigMasksThePasswordAndRoundTrips) {
    const Config c = parse(R"({"bridges": [ {"name": "a", "addresses": ["h:1"], "password": "secret",
        "tls": {"verify": false}, "topics": [{"filter": "#", "direction": "both", "qos": 2}]} ]})");
    const auto written = to_json(c);
    EXPECT_EQ(written["bridges"][0]["password"], "********");
    EXPECT_EQ(written["bridges"][0]["tls"]["verify"], false);
    Config back;
    apply_json(back, written, "round trip");
    EXPECT_EQ(to_json(back), written);
}

}  // namespace
}  // namespace mqgate::config

// The "webhooks" section: what a user writes, and the key a mistake is reported under.
#include <string>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace mqgate::config {
namespace {

Config parse(const std::string& text) {
    Config c;
    apply_json_text(c, text, "hooks.json");
    return c;
}

// The key path and reason of the error a one-webhook config gives.
std::pair<std::string, std::string> error_of(const std::string& webhook) {
    try {
        parse(R"({"webhooks": [ )" + webhook + " ]}");
    } catch (const ConfigError& e) {
        return {e.key(), e.reason()};
    }
    return {"", "no error"};
}

TEST(WebhookConfig, FullEntryIsRead) {
    const Config c = parse(R"({"webhooks": [ {"name": "crm", "url": "https://hooks.example.com:8443/in?x=1",
        "events": ["client.connected", "message.publish"], "topics": ["sensors/#"],
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "headers": {"Authorization": "Bearer t"},
        "timeout_ms": 2000, "max_age_s": 60, "max_pending": 5, "max_connections": 2,
        "batch": {"max_events": 50, "max_wait_ms": 20}} ]})");
    ASSERT_EQ(c.webhooks.size(), 1u);
    const auto& w = c.webhooks[0];
    EXPECT_EQ(w.name, "crm");
    EXPECT_EQ(w.target, (WebhookUrl{true, "hooks.example.com", 8443, "/in?x=1"}));
    EXPECT_EQ(w.events, (std::vector<std::string>{"client.connected", "message.publish"}));
    EXPECT_EQ(w.topics, std::vector<std::string>{"sensors/#"});
    EXPECT_EQ(w.headers.at("Authorization"), "Bearer t");
    EXPECT_EQ(w.timeout_ms, 2000u);
    EXPECT_EQ(w.max_age_s, 60u);
    EXPECT_EQ(w.max_pending, 5u);
    EXPECT_EQ(w.max_connections, 2u);
    EXPECT_EQ(w.batch_max_events, 50u);
    EXPECT_EQ(w.batch_max_wait_ms, 20u);
}

TEST(WebhookConfig, UrlParts) {
    std::string why;
    EXPECT_EQ(parse_webhook_url("http://127.0.0.1", why), (WebhookUrl{false, "127.0.0.1", 80, "/"}));
    EXPECT_EQ(parse_webhook_url("https://[::1]:9000/a/b", why), (WebhookUrl{true, "::1", 9000, "/a/b"}));
    EXPECT_EQ(parse_webhook_url("http://h?q", why), (WebhookUrl{false, "h", 80, "/?q"}));
    for (const char* bad : {"ftp://h/", "http://", "http://h:0/", "http://h:70000/", "http://u:p@h/", "http://h/#f",
                            "http://h/a b", "http://h:/"})
        EXPECT_FALSE(parse_webhook_url(bad, why)) << bad;
}

TEST(WebhookConfig, SecretIsWhsecBase64) {
    EXPECT_EQ(decode_webhook_secret("whsec_aGVsbG8="), "hello");
    EXPECT_EQ(decode_webhook_secret("whsec_aGk="), "hi");
    EXPECT_FALSE(decode_webhook_secret("aGVsbG8="));
    EXPECT_FALSE(decode_webhook_secret("whsec_"));
    EXPECT_FALSE(decode_webhook_secret("whsec_a$bc"));
    EXPECT_FALSE(decode_webhook_secret("whsec_abc"));
}

TEST(WebhookConfig, BadValuesNameTheKey) {
    const std::string base = R"("name": "a", "url": "http://h/", "events": ["client.connected"])";
    EXPECT_EQ(error_of(R"({"url": "http://h/", "events": ["client.connected"]})").first, "webhooks[0].name");
    EXPECT_EQ(error_of(R"({"name": "a b", "url": "http://h/", "events": ["client.connected"]})").first,
              "webhooks[0].name");
    EXPECT_EQ(error_of(R"({"name": "a", "url": "ftp://h/", "events": ["client.connected"]})").first, "webhooks[0].url");
    EXPECT_EQ(error_of(R"({"name": "a", "url": "http://h/", "events": []})").first, "webhooks[0].events");
    EXPECT_EQ(error_of(R"({"name": "a", "url": "http://h/", "events": ["client.connected", "nope"]})").first,
              "webhooks[0].events[1]");
    EXPECT_EQ(error_of("{" + base + R"(, "topics": ["a/#/b"]})").first, "webhooks[0].topics[0]");
    EXPECT_EQ(error_of("{" + base + R"(, "secret": "abc"})").first, "webhooks[0].secret");
    EXPECT_EQ(error_of("{" + base + R"(, "headers": {"X": 1}})").first, "webhooks[0].headers.X");
    EXPECT_EQ(error_of("{" + base + R"(, "max_pending": 0})").first, "webhooks[0].max_pending");
    EXPECT_EQ(error_of("{" + base + R"(, "batch": {"max_events": 1001}})").first, "webhooks[0].batch.max_events");
    EXPECT_EQ(error_of("{" + base + R"(, "max_connections": 0})").first, "webhooks[0].max_connections");
    EXPECT_EQ(error_of("{" + base + R"(, "ca_file": "/nonexistent/ca.pem"})").first, "webhooks[0].ca_file");
    EXPECT_EQ(error_of("{" + base + R"(, "retries": 3})").first, "webhooks[0].retries");
    EXPECT_EQ(error_of("{" + base + "}, {" + base + "}").first, "webhooks[1].name");
}

TEST(WebhookConfig, EffectiveConfigMasksTheSecretAndRoundTrips) {
    const Config c = parse(R"({"webhooks": [ {"name": "a", "url": "http://h/", "events": ["client.kicked"],
        "secret": "whsec_aGVsbG8="} ]})");
    const auto written = to_json(c);
    EXPECT_EQ(written["webhooks"][0]["secret"], "whsec_KioqKioqKio=");
    Config back;
    apply_json(back, written, "round trip");
    EXPECT_EQ(to_json(back), written);
}

}  // namespace
}  // namespace mqgate::config

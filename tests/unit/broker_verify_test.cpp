// A CONNECT whose credentials are checked later (the gateway's verifier
// threads): what the client sends meanwhile, a close or the broker's end
// before the answer. No sockets, no threads.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"
#include "tests/unit/broker_fakes.hpp"

using namespace mqgate::mqtt;
using namespace mqgate::mqtt::fakes;

namespace {

// An authorizer that answers when the test says so, as the gateway's does
// from its verifier threads once a password hash is done.
class DeferredAuthorizer final : public Authorizer {
public:
    void authenticate(const Connect&, const PeerInfo&, AuthDone done) override { pending.push_back(std::move(done)); }
    bool authorize(std::string_view, std::string_view, std::string_view, Access) override { return true; }
    void answer(ConnectReturn code, std::string identity = "") {
        ASSERT_FALSE(pending.empty());
        auto done = std::move(pending.front());
        pending.pop_front();
        done(code, std::move(identity));
    }
    std::deque<AuthDone> pending;
};

class BrokerVerifyTest : public ::testing::Test {
protected:
    BrokerVerifyTest() { broker->observe([this](const Event& e) { events.push_back(e); }); }

    Client begin_connect(const std::string& id) {
        Client c;
        c.link = broker->attach(c.conn);
        Connect pkt;
        pkt.client_id = id;
        pkt.username = "alice";
        pkt.password = "pw";
        c.link->packet(std::move(pkt));
        EXPECT_EQ(auth->pending.size(), 1u);
        return c;
    }

    std::shared_ptr<DeferredAuthorizer> auth = std::make_shared<DeferredAuthorizer>();
    std::unique_ptr<Broker> broker = std::make_unique<Broker>(BrokerOptions{}, auth);
    std::vector<Event> events;
};

TEST_F(BrokerVerifyTest, PacketsSentBeforeTheAnswerWaitAndFollowTheConnackInOrder) {
    auto c = begin_connect("eager");
    c.link->packet(Subscribe{5, {{"t", 0}}});
    c.link->packet(Publish{false, 0, false, "t", 0, "early"});
    EXPECT_TRUE(c.conn->received.empty()) << "nothing is processed before CONNACK";
    auth->answer(ConnectReturn::accepted, "alice");
    EXPECT_EQ(c.conn->pop<Connack>().return_code, ConnectReturn::accepted);
    EXPECT_EQ(c.conn->pop<Suback>().packet_id, 5);
    EXPECT_EQ(c.conn->pop<Publish>().payload, "early");
    EXPECT_EQ(broker->client("eager")->username, "alice");
}

TEST_F(BrokerVerifyTest, AnAnswerForAConnectionClosedMeanwhileTouchesNothing) {
    auto c = begin_connect("gone");
    c.link->closed(DisconnectReason::network_error);
    c.link.reset();  // the transport drops the link: the answer must not reach it
    auth->answer(ConnectReturn::accepted, "alice");
    EXPECT_TRUE(c.conn->received.empty());
    EXPECT_FALSE(broker->client("gone"));
    EXPECT_EQ(broker->stats().clients_connected, 0u);
}

TEST_F(BrokerVerifyTest, AnAnswerAfterTheBrokerIsGoneTouchesNothing) {
    auto c = begin_connect("late");
    broker.reset();
    auth->answer(ConnectReturn::accepted, "alice");
    EXPECT_TRUE(c.conn->received.empty());
}

TEST_F(BrokerVerifyTest, TooMuchSentBeforeTheAnswerCloses) {
    auto c = begin_connect("flood");
    for (int i = 0; i < 32; ++i) c.link->packet(Pingreq{});
    EXPECT_FALSE(c.conn->close_reason);
    c.link->packet(Pingreq{});
    EXPECT_EQ(c.conn->close_reason, DisconnectReason::protocol_error);
    auth->answer(ConnectReturn::accepted, "alice");
    EXPECT_TRUE(c.conn->received.empty()) << "a closing connection gets no CONNACK";
}

TEST_F(BrokerVerifyTest, ARefusedConnectIsAnAuthFailedEvent) {
    auto c = begin_connect("guesser");
    auth->answer(ConnectReturn::bad_username_or_password);
    EXPECT_EQ(c.conn->pop<Connack>().return_code, ConnectReturn::bad_username_or_password);
    EXPECT_EQ(c.conn->close_reason, DisconnectReason::connect_rejected);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, EventType::client_auth_failed);
    EXPECT_STREQ(to_string(events[0].type), "client.auth_failed");
    EXPECT_EQ(events[0].client_id, "guesser");
    EXPECT_EQ(events[0].username, "alice");
    EXPECT_EQ(events[0].address, "127.0.0.1");
    EXPECT_EQ(events[0].reason, "bad_username_or_password");
}

}  // namespace

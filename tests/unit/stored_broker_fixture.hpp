// A broker on durable storage (store/ with its memory backend) for the core's
// unit tests, with fake clients: a restart is a new broker on what the store holds.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/broker.hpp"
#include "store/store.hpp"
#include "tests/unit/broker_fakes.hpp"

namespace mqgate::mqtt::fakes {

class StoredBrokerTest : public ::testing::Test {
protected:
    StoredBrokerTest() { restart(); }

    static std::shared_ptr<mqgate::store::Store> open_store() {
        mqgate::store::StoreOptions o;
        o.backend = mqgate::store::BackendKind::memory;
        return std::shared_ptr<mqgate::store::Store>(mqgate::store::Store::open(o));
    }

    // A new broker on what the store holds, as after a kill -9: the old one's
    // memory is gone, its connections with it.
    void restart() {
        if (broker) db->flush();
        broker.reset();
        BrokerOptions o;
        o.limits.max_inflight = 2;
        broker = std::make_unique<Broker>(o, nullptr, nullptr, nullptr, nullptr, db);
        broker->load();
    }

    Client connect(const std::string& id, bool clean, bool* session_present = nullptr) {
        Client c;
        c.link = broker->attach(c.conn);
        Connect pkt;
        pkt.client_id = id;
        pkt.clean_session = clean;
        pkt.keepalive = 30;
        c.link->packet(pkt);
        db->flush();  // a new persistent session's CONNACK waits for its commit
        auto ack = c.conn->pop<Connack>();
        EXPECT_EQ(ack.return_code, ConnectReturn::accepted);
        if (session_present) *session_present = ack.session_present;
        return c;
    }

    void subscribe(Client& c, const std::string& filter, std::uint8_t qos) {
        c.link->packet(Subscribe{10, {{filter, qos}}});
        db->flush();
        ASSERT_EQ(c.conn->pop<Suback>().return_codes, std::vector<std::uint8_t>{qos});
    }

    // Blocks the store thread until the returned promise is set: nothing commits meanwhile.
    std::promise<void> stall_store() {
        std::promise<void> release;
        auto stalled = std::make_shared<std::promise<void>>();
        auto in_callback = stalled->get_future();
        EXPECT_FALSE(db->submit(mqgate::store::Batch{}, [go = release.get_future().share(), stalled](std::error_code) {
            stalled->set_value();
            go.wait();
        }));
        in_callback.wait();
        return release;
    }

    std::shared_ptr<mqgate::store::Store> db = open_store();
    std::unique_ptr<Broker> broker;
};

}  // namespace mqgate::mqtt::fakes

// Commands that wait for their device (issue 14, /api/v1/commands): each is
// kept until the device is there -- connected and subscribed to a filter
// matching the command's topic, or holding a persistent session with such a
// subscription (QoS >= 1; the broker's session queue then carries it) -- then
// published through the broker's narrow API and followed: acked, replied on
// its response topic, or expired when its TTL passes first.
//
// Durable: with a store, every command is one item of the store's
// "commands" queue, rewritten (same seq) at each status change, and read
// back at start-up. Without one (storage.backend "memory") commands live in
// memory only.
//
// "acked" is the device's own acknowledgement: commands are published as
// tracked messages tagged with their id (Broker::publish), and the broker
// reports the PUBACK (QoS 1) or PUBCOMP (QoS 2) of each client that completes
// a delivery of one (Broker::set_ack_listener). The tag is stored with the
// message, so a delivery restored after a restart is reported too.
//
// Threads: every call may come from any thread. State is under `mutex_`,
// never held while calling the broker; the work that calls the broker
// (sending, replies, the timer) runs on one strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "control/command.hpp"
#include "control/command_plan.hpp"
#include "mqtt/events.hpp"
#include "mqtt/message.hpp"

namespace mqgate::mqtt {
class Broker;
}
namespace mqgate::store {
class Store;
}

namespace mqgate::control {

class CommandService {
public:
    // `emit` records command.sent|acked|replied|expired (the gateway's event
    // log); it is called on the strand, one event at a time. `store` may be
    // null. Reads the stored commands (throws store::StoreError if the file
    // cannot be read); nothing is sent before resume().
    using Emit = std::function<void(const mqtt::Event&)>;
    CommandService(mqtt::Broker& broker, boost::asio::any_io_executor executor, std::shared_ptr<store::Store> store,
                   CommandLimits limits, Emit emit);
    ~CommandService();
    CommandService(const CommandService&) = delete;
    CommandService& operator=(const CommandService&) = delete;

    const CommandLimits& limits() const noexcept { return limits_; }

    // Sends what is queued for devices that are there, waits again for the
    // replies of commands sent before a restart, starts the timer.
    void resume();

    // Takes a planned command. `done` runs once, from any thread, when it is
    // stored (with the store's error if that failed: the command is then
    // dropped). Returns too_many (max_pending commands not done) or the
    // store's refusal (queue full, closed) at once, and then never calls `done`.
    enum class AddError { none, too_many, store_refused };
    AddError add(Command command, std::function<void(std::error_code)> done);

    std::optional<Command> get(const std::string& id) const;
    // In the order they were added (seq), filtered when the filter is set.
    std::vector<Command> list(const std::string* client_id, std::optional<CommandStatus> status) const;

    enum class CancelResult { cancelled, not_found, already_sent };
    // Cancels a command still queued; `out` gets the command as it is after.
    CancelResult cancel(const std::string& id, Command& out);

    // Commands not done (for stats and the limit).
    std::size_t pending() const;

private:
    void try_send(const std::string& client_id);
    void send(std::uint64_t seq);
    void watch_reply(std::uint64_t seq, const std::string& response_topic);
    void on_reply(std::uint64_t seq, const mqtt::MessagePtr& message);
    // `client_id` acknowledged the delivery of the message tagged `id`.
    void on_ack(const std::string& client_id, const std::string& id);
    void expire_due();
    void arm_timer();
    // Called with mutex_ held after a command not done changed: persists it,
    // keeps the pending count, forgets the oldest done commands beyond the limit.
    void changed(Command& command);
    void persist(const Command& command);
    void drop_reply_subscription(std::uint64_t seq);
    void emit(mqtt::EventType type, const Command& command);
    static std::int64_t now_ms();

    mqtt::Broker& broker_;
    std::shared_ptr<store::Store> store_;
    CommandLimits limits_;
    Emit emit_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer timer_;  // on strand_
    std::uint64_t observer_ = 0;

    mutable std::mutex mutex_;
    std::map<std::uint64_t, Command> commands_;           // by seq
    std::unordered_map<std::string, std::uint64_t> ids_;  // id -> seq
    std::deque<std::uint64_t> done_order_;                // done commands, oldest first (bounded)
    std::size_t pending_ = 0;                             // not done, adds in flight included
    std::uint64_t next_seq_ = 1;                          // without a store
    // Strand only:
    std::unordered_map<std::uint64_t, std::uint64_t> reply_subscriptions_;  // seq -> broker subscription
};

}  // namespace mqgate::control

#include "control/command_service.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "control/correlation.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"
#include "store/queue_scan.hpp"
#include "store/store.hpp"
#include "support/log.hpp"

namespace mqgate::control {

namespace asio = boost::asio;

namespace {

constexpr const char* queue_name = "commands";

}  // namespace

CommandService::CommandService(mqtt::Broker& broker, asio::any_io_executor executor,
                               std::shared_ptr<store::Store> store, CommandLimits limits, Emit emit)
    : broker_(broker),
      store_(std::move(store)),
      limits_(limits),
      emit_(std::move(emit)),
      strand_(asio::make_strand(std::move(executor))),
      timer_(strand_) {
    if (store_) {
        store::for_each_queue_item(*store_, queue_name, [&](const store::QueueItem& item) {
            auto command = decode_command(item.data, item.seq);
            if (!command) {
                LOG_WARN("commands: stored item " << item.seq << " is not a command this version reads; skipped");
                return;
            }
            ids_.emplace(command->id(), item.seq);
            commands_.emplace(item.seq, std::move(*command));
        });
        std::vector<std::pair<std::int64_t, std::uint64_t>> done;  // (last change, seq)
        for (const auto& [seq, c] : commands_) {
            if (!is_done(c)) {
                ++pending_;
            } else {
                done.emplace_back(c.history.empty() ? c.created_ms : c.history.back().ts_ms, seq);
            }
        }
        std::sort(done.begin(), done.end());
        for (const auto& d : done) done_order_.push_back(d.second);
    }
    observer_ = broker_.observe([this](const mqtt::Event& e) {
        if (e.type != mqtt::EventType::client_connected && e.type != mqtt::EventType::session_subscribed) return;
        asio::post(strand_, [this, id = e.client_id] { try_send(id); });
    });
    broker_.set_ack_listener([this](const std::string& client_id, const mqtt::MessagePtr& m) {
        asio::post(strand_, [this, client_id, id = std::string(m->tag())] { on_ack(client_id, id); });
    });
}

CommandService::~CommandService() {
    broker_.unobserve(observer_);
    broker_.set_ack_listener(nullptr);
    for (const auto& [seq, subscription] : reply_subscriptions_) broker_.unsubscribe(subscription);
}

void CommandService::resume() {
    asio::post(strand_, [this] {
        std::vector<std::string> devices;
        std::vector<std::pair<std::uint64_t, std::string>> replies;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [seq, c] : commands_) {
                if (is_done(c)) continue;
                if (c.status == CommandStatus::queued) devices.push_back(c.exchange.client_id);
                if (c.status != CommandStatus::queued && !c.exchange.response_topic.empty())
                    replies.emplace_back(seq, c.exchange.response_topic);
            }
        }
        for (const auto& [seq, topic] : replies) watch_reply(seq, topic);
        std::sort(devices.begin(), devices.end());
        devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
        for (const auto& device : devices) try_send(device);
        expire_due();
    });
}

CommandService::AddError CommandService::add(Command command, std::function<void(std::error_code)> done) {
    {
        std::lock_guard lock(mutex_);
        if (pending_ >= limits_.max_pending) return AddError::too_many;
        ++pending_;
        command.seq = store_ ? store_->next_id() : next_seq_++;
    }
    // Listed once stored: nothing is sent, and no later change is written, before it is.
    auto insert = [this](Command c) {
        const auto client_id = c.exchange.client_id;
        {
            std::lock_guard lock(mutex_);
            ids_.emplace(c.id(), c.seq);
            commands_.emplace(c.seq, std::move(c));
        }
        asio::post(strand_, [this, client_id] {
            try_send(client_id);
            arm_timer();
        });
    };
    if (!store_) {
        insert(std::move(command));
        done({});
        return AddError::none;
    }
    store::Batch batch;
    batch.add(store::op::Append{queue_name, store::QueueItem{command.seq, encode_command(command)}});
    auto shared = std::make_shared<Command>(std::move(command));
    const auto refused = store_->submit(std::move(batch), [this, shared, insert, done](std::error_code ec) {
        if (ec) {
            std::lock_guard lock(mutex_);
            --pending_;
        } else {
            insert(std::move(*shared));
        }
        done(ec);
    });
    if (refused) {
        std::lock_guard lock(mutex_);
        --pending_;
        return AddError::store_refused;
    }
    return AddError::none;
}

std::optional<Command> CommandService::get(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto it = ids_.find(id);
    if (it == ids_.end()) return std::nullopt;
    return commands_.at(it->second);
}

std::vector<Command> CommandService::list(const std::string* client_id, std::optional<CommandStatus> status) const {
    std::vector<Command> out;
    std::lock_guard lock(mutex_);
    for (const auto& [seq, c] : commands_) {
        if (client_id && c.exchange.client_id != *client_id) continue;
        if (status && c.status != *status) continue;
        out.push_back(c);
    }
    return out;
}

CommandService::CancelResult CommandService::cancel(const std::string& id, Command& out) {
    std::lock_guard lock(mutex_);
    const auto it = ids_.find(id);
    if (it == ids_.end()) return CancelResult::not_found;
    auto& c = commands_.at(it->second);
    if (c.status != CommandStatus::queued) {
        out = c;
        return CancelResult::already_sent;
    }
    set_status(c, CommandStatus::cancelled, now_ms());
    out = c;
    changed(c);
    return CancelResult::cancelled;
}

std::size_t CommandService::pending() const {
    std::lock_guard lock(mutex_);
    return pending_;
}

// The device is there when it has a session that would receive the topic:
// connected, or persistent (offline, only QoS >= 1 is queued for it).
void CommandService::try_send(const std::string& client_id) {
    std::vector<std::pair<std::uint64_t, std::string>> queued;  // seq, topic
    std::vector<std::uint8_t> qos;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [seq, c] : commands_) {
            if (c.status != CommandStatus::queued || c.exchange.client_id != client_id) continue;
            queued.emplace_back(seq, c.exchange.topic);
            qos.push_back(c.exchange.qos);
        }
    }
    if (queued.empty()) return;
    const auto info = broker_.client(client_id);
    if (!info || !(info->connected || !info->clean_session)) return;
    auto subscriptions = broker_.subscriptions();
    std::erase_if(subscriptions, [&](const mqtt::SubscriptionInfo& s) { return s.client_id != client_id; });
    for (std::size_t i = 0; i < queued.size(); ++i) {
        if (!info->connected && qos[i] == 0) continue;
        const auto& topic = queued[i].second;
        const bool subscribed = std::any_of(subscriptions.begin(), subscriptions.end(),
                                            [&](const mqtt::SubscriptionInfo& s) { return mqtt::topic_matches(s.filter, topic); });
        if (subscribed) send(queued[i].first);
    }
}

void CommandService::send(std::uint64_t seq) {
    Command c;
    {
        std::lock_guard lock(mutex_);
        const auto it = commands_.find(seq);
        // Cancelled or expired since try_send looked.
        if (it == commands_.end() || it->second.status != CommandStatus::queued) return;
        set_status(it->second, CommandStatus::sent, now_ms());
        changed(it->second);
        c = it->second;
    }
    // The reply subscription before the publish: a fast reply cannot be missed.
    if (!c.exchange.response_topic.empty()) watch_reply(seq, c.exchange.response_topic);
    // Tagged: the broker reports the device's PUBACK or PUBCOMP (on_ack). QoS 0 has none.
    const auto result =
        broker_.publish(c.exchange.topic, c.exchange.payload, c.exchange.qos, c.retain, c.exchange.qos > 0 ? c.id() : "");
    if (result.error) LOG_WARN("command " << c.id() << ": publish to '" << c.exchange.topic << "' refused: " << result.error.message());
    emit(mqtt::EventType::command_sent, c);
    arm_timer();
}

void CommandService::watch_reply(std::uint64_t seq, const std::string& response_topic) {
    reply_subscriptions_[seq] = broker_.subscribe(response_topic, [this, seq](const mqtt::MessagePtr& m) {
        asio::post(strand_, [this, seq, m] { on_reply(seq, m); });
    });
}

void CommandService::on_reply(std::uint64_t seq, const mqtt::MessagePtr& message) {
    Command c;
    {
        std::lock_guard lock(mutex_);
        const auto it = commands_.find(seq);
        if (it == commands_.end()) return;
        auto& command = it->second;
        if (command.status != CommandStatus::sent && command.status != CommandStatus::acked) return;
        const auto& key = command.exchange.payload_key;
        if (!key.empty() && !reply_matches(message->payload, key, command.id())) return;
        command.reply = CommandReply{message->topic, message->payload, message->qos, message->timestamp_ms};
        set_status(command, CommandStatus::replied, now_ms());
        changed(command);
        c = command;
    }
    drop_reply_subscription(seq);
    emit(mqtt::EventType::command_replied, c);
}

// Any client acknowledging a command's message is reported (another
// subscriber of its topic too): only the device's acknowledgement counts.
void CommandService::on_ack(const std::string& client_id, const std::string& id) {
    Command c;
    {
        std::lock_guard lock(mutex_);
        const auto it = ids_.find(id);
        if (it == ids_.end()) return;
        auto& command = commands_.at(it->second);
        // Replied or expired first, or acknowledged again after a resend.
        if (command.status != CommandStatus::sent || command.exchange.client_id != client_id) return;
        set_status(command, CommandStatus::acked, now_ms());
        changed(command);
        c = command;
    }
    if (is_done(c)) drop_reply_subscription(c.seq);
    emit(mqtt::EventType::command_acked, c);
}

void CommandService::expire_due() {
    std::vector<Command> expired;
    {
        std::lock_guard lock(mutex_);
        const auto now = now_ms();
        for (auto& [seq, c] : commands_) {
            if (is_done(c) || c.expires_ms > now) continue;
            set_status(c, CommandStatus::expired, now);
            expired.push_back(c);
            changed(c);
        }
    }
    for (const auto& c : expired) {
        drop_reply_subscription(c.seq);
        emit(mqtt::EventType::command_expired, c);
    }
    arm_timer();
}

// One timer: the earliest expiry.
void CommandService::arm_timer() {
    auto earliest = std::chrono::milliseconds::max();
    {
        std::lock_guard lock(mutex_);
        const auto now = now_ms();
        for (const auto& [seq, c] : commands_)
            if (!is_done(c)) earliest = std::min(earliest, std::chrono::milliseconds(std::max<std::int64_t>(0, c.expires_ms - now)));
    }
    if (earliest == std::chrono::milliseconds::max()) {
        timer_.cancel();
        return;
    }
    timer_.expires_after(earliest);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        expire_due();  // rearms
    });
}

void CommandService::changed(Command& c) {
    persist(c);
    if (!is_done(c)) return;
    --pending_;
    done_order_.push_back(c.seq);
    // Done commands are kept for GET up to max_pending, the oldest forgotten first.
    while (done_order_.size() > limits_.max_pending) {
        const auto oldest = done_order_.front();
        done_order_.pop_front();
        const auto it = commands_.find(oldest);
        if (it == commands_.end()) continue;
        ids_.erase(it->second.id());
        commands_.erase(it);
        if (store_) {
            store::Batch batch;
            batch.add(store::op::Remove{queue_name, oldest});
            store_->submit(std::move(batch), [](std::error_code) {});
        }
    }
}

void CommandService::persist(const Command& c) {
    if (!store_) return;
    store::Batch batch;
    batch.add(store::op::Append{queue_name, store::QueueItem{c.seq, encode_command(c)}});
    const auto id = c.id();
    const auto refused = store_->submit(std::move(batch), [id](std::error_code ec) {
        if (ec) LOG_WARN("command " << id << ": status not stored: " << ec.message());
    });
    if (refused) LOG_WARN("command " << id << ": status not stored: " << refused.message());
}

void CommandService::drop_reply_subscription(std::uint64_t seq) {
    const auto it = reply_subscriptions_.find(seq);
    if (it == reply_subscriptions_.end()) return;
    broker_.unsubscribe(it->second);
    reply_subscriptions_.erase(it);
}

void CommandService::emit(mqtt::EventType type, const Command& c) {
    mqtt::Event e;
    e.type = type;
    e.timestamp_ms = c.history.empty() ? now_ms() : c.history.back().ts_ms;
    e.client_id = c.exchange.client_id;
    e.topic = c.exchange.topic;
    e.qos = c.exchange.qos;
    e.retain = c.retain;
    e.command_id = c.id();
    emit_(e);
}

std::int64_t CommandService::now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace mqgate::control

#include "bridge/service.hpp"

#include <algorithm>

#include <boost/asio/ssl/context.hpp>

#include "store/errors.hpp"
#include "support/log.hpp"

namespace mqgate::bridge {

namespace asio = boost::asio;

std::shared_ptr<asio::ssl::context> client_tls_context(const config::BridgeOptions& o, std::size_t index,
                                                       const std::string& source) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    const std::string key = "bridges[" + std::to_string(index) + "].tls.";
    const auto load = [&](const char* field, auto step) {
        try {
            step();
        } catch (const boost::system::system_error& e) {
            throw config::ConfigError(source, key + field, e.code().message());
        }
    };
    if (o.tls_ca.empty()) load("ca", [&] { context->set_default_verify_paths(); });
    else load("ca", [&] { context->load_verify_file(o.tls_ca); });
    if (!o.tls_cert.empty()) {
        load("cert", [&] { context->use_certificate_chain_file(o.tls_cert); });
        load("key", [&] { context->use_private_key_file(o.tls_key, asio::ssl::context::pem); });
    }
    return context;
}

namespace {

std::string client_id_of(const config::Config& config, const config::BridgeOptions& options) {
    return options.client_id.empty() ? config.node_name + "-" + options.name : options.client_id;
}

}  // namespace

std::shared_ptr<BridgeClient> BridgeService::make_client(const config::Config& config, std::size_t index) const {
    const std::string source = config.file.empty() ? "configuration" : config.file;
    const auto& options = config.bridges[index];
    auto tls = options.tls ? client_tls_context(options, index, source) : nullptr;
    return std::make_shared<BridgeClient>(options, client_id_of(config, options), broker_, pool_.next(),
                                          std::move(tls), store_, auth_);
}

BridgeService::BridgeService(const config::Config& config, mqtt::Broker& broker, net::IoPool& pool,
                             std::shared_ptr<store::Store> store, std::shared_ptr<mqtt::Authorizer> auth)
    : broker_(broker), pool_(pool), store_(std::move(store)), auth_(std::move(auth)) {
    for (std::size_t i = 0; i < config.bridges.size(); ++i) {
        clients_.push_back(make_client(config, i));
        clients_.back()->restore();
    }
}

BridgeService::~BridgeService() { stop(); }

void BridgeService::start() {
    std::lock_guard lock(mutex_);
    for (const auto& client : clients_) client->start();
}

void BridgeService::stop() {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (const auto& client : clients_) client->stop();
}

std::size_t BridgeService::reload(const config::Config& config) {
    std::vector<std::shared_ptr<BridgeClient>> next, fresh;
    std::unique_lock lock(mutex_);
    if (stopped_) return 0;
    auto old = clients_;
    for (std::size_t i = 0; i < config.bridges.size(); ++i) {
        const auto& options = config.bridges[i];
        const auto same = std::find_if(old.begin(), old.end(), [&](const auto& c) {
            return c->options() == options && c->client_id() == client_id_of(config, options);
        });
        if (same != old.end()) {
            next.push_back(*same);
            old.erase(same);
        } else {
            next.push_back(fresh.emplace_back(make_client(config, i)));  // may throw: nothing changed yet
        }
    }
    for (const auto& gone : old) gone->stop();
    // What the stopped ones wrote is committed before the new ones read it back.
    if (store_ && !old.empty()) store_->flush();
    for (const auto& gone : old) {
        const std::string& name = gone->options().name;
        if (std::any_of(next.begin(), next.end(), [&](const auto& c) { return c->options().name == name; }))
            continue;  // changed, not removed: the new definition takes back what is stored
        try {
            LOG_INFO("bridge '" << name << "': removed; " << gone->discard_stored()
                                << " stored message(s) waiting to go upstream discarded");
        } catch (const store::StoreError& e) {
            LOG_ERROR("bridge '" << name << "': removed; its stored messages could not be read (" << e.what()
                                 << ") and stay in the store");
        }
    }
    for (const auto& client : fresh) {
        client->restore();
        client->start();
    }
    clients_ = std::move(next);
    return old.size() + fresh.size();
}

nlohmann::json BridgeService::list_json() const {
    std::lock_guard lock(mutex_);
    nlohmann::json data = nlohmann::json::array();
    for (const auto& client : clients_) {
        const auto& o = client->options();
        const BridgeStatus s = client->status();
        nlohmann::json addresses = nlohmann::json::array();
        for (const auto& a : o.addresses) addresses.push_back(a.text());
        data.push_back({{"name", o.name},
                        {"state", to_string(s.state)},
                        {"address", s.address},
                        {"addresses", std::move(addresses)},
                        {"tls", o.tls},
                        {"client_id", client->client_id()},
                        {"local_username", o.local_username},
                        {"last_error", s.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_error)},
                        {"connack_code", s.connack_code < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.connack_code)},
                        {"refused", s.refused},
                        {"connected_at_ms", s.connected_at_ms ? nlohmann::json(s.connected_at_ms) : nlohmann::json(nullptr)},
                        {"retry_at_ms", s.retry_at_ms ? nlohmann::json(s.retry_at_ms) : nlohmann::json(nullptr)},
                        {"forwarded_out", s.forwarded_out},
                        {"forwarded_in", s.forwarded_in},
                        {"queued", s.queued},
                        {"queued_bytes", s.queued_bytes},
                        {"dropped", s.dropped},
                        {"echoes", s.echoes},
                        {"denied", s.denied},
                        {"failures", s.failures},
                        {"stored", s.stored},
                        {"store_errors", s.store_errors}});
    }
    const auto count = data.size();
    return {{"data", std::move(data)}, {"meta", {{"page", 1}, {"limit", count}, {"count", count}}}};
}

}  // namespace mqgate::bridge

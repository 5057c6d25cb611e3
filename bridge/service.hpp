// Every configured bridge (README "Bridges"): each a BridgeClient on one of
// the I/O threads, and their status for REST and metrics.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/client.hpp"
#include "config/config.hpp"
#include "mqtt/broker.hpp"
#include "net/io_pool.hpp"

namespace mqgate::bridge {

// The client context of a bridge with "tls"; throws config::ConfigError
// naming `source` (the config file) and bridges[index].tls.<key> for a file
// that does not load.
std::shared_ptr<boost::asio::ssl::context> client_tls_context(const config::BridgeOptions& options, std::size_t index,
                                                              const std::string& source);

class BridgeService {
public:
    // Builds the clients (throws config::ConfigError for bad TLS files) and
    // takes back what waits in the store (`store` null: memory only; throws
    // StoreError); start() connects them. Broker and pool must outlive it.
    // `auth`: the local ACL each bridge is checked against (null: none).
    BridgeService(const config::Config& config, mqtt::Broker& broker, net::IoPool& pool,
                  std::shared_ptr<store::Store> store, std::shared_ptr<mqtt::Authorizer> auth);
    ~BridgeService();
    BridgeService(const BridgeService&) = delete;
    BridgeService& operator=(const BridgeService&) = delete;

    void start();
    // Each bridge sends DISCONNECT and stops; the broker is not touched after this.
    void stop();
    // SIGHUP: bridges whose entry (and client id) is unchanged keep running;
    // removed ones stop; new and changed ones start, a changed one anew with
    // what waits for it in the store. Throws config::ConfigError (a TLS file)
    // or StoreError with nothing changed. Returns how many bridges changed.
    std::size_t reload(const config::Config& config);

    // GET /api/v1/bridges: each bridge in config order with its status.
    nlohmann::json list_json() const;

private:
    std::shared_ptr<BridgeClient> make_client(const config::Config& config, std::size_t index) const;

    mqtt::Broker& broker_;
    net::IoPool& pool_;
    std::shared_ptr<store::Store> store_;
    std::shared_ptr<mqtt::Authorizer> auth_;
    mutable std::mutex mutex_;  // clients_: SIGHUP replaces them while REST reads them
    std::vector<std::shared_ptr<BridgeClient>> clients_;
    bool stopped_ = false;
};

}  // namespace mqgate::bridge

#include <iostream>

#include "config/config.hpp"
#include "gateway/gateway.hpp"
#include "support/log.hpp"

int main(int argc, char** argv) {
    using namespace mqgate;
    config::Invocation invocation;
    try {
        invocation = config::load_config(argc, argv);
    } catch (const config::ConfigError& e) {
        std::cerr << "mqgate: " << e.what() << '\n';
        if (e.source() == "command line") std::cerr << config::usage();
        return 2;
    }
    switch (invocation.action) {
        case config::Action::help: std::cout << config::usage(); return 0;
        case config::Action::version: std::cout << "mqgate " << MQGATE_VERSION << '\n'; return 0;
        case config::Action::check_config: std::cout << config::to_json(invocation.config).dump(2) << '\n'; return 0;
        case config::Action::run: break;
    }
    log::set_level(invocation.config.log_level);
    try {
        gateway::Gateway gateway(std::move(invocation.config), MQGATE_VERSION);
        return gateway.run();
    } catch (const config::ConfigError& e) {  // a TLS listener's certificate or key file
        std::cerr << "mqgate: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "mqgate: " << e.what() << '\n';
        return 1;
    }
}

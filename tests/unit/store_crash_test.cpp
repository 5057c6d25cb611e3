// The store against a killed process and a full disk, each in a forked
// child: what was acknowledged is in the file, and the file loads.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <semaphore>
#include <set>

#include "store_helpers.hpp"

namespace mqgate::store {
namespace {

using namespace testing;

// Reads exactly `size` bytes, waiting at most 30 s for each read; false at EOF, timeout or error.
bool read_full(int fd, void* data, std::size_t size) {
    auto* out = static_cast<char*>(data);
    while (size > 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 30000) <= 0) return false;
        const ssize_t n = ::read(fd, out, size);
        if (n <= 0) return false;
        out += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// A forked child running `body(fd)`, `fd` the write end of a pipe whose read end the parent keeps.
struct Child {
    pid_t pid = -1;
    int fd = -1;
};

template <typename Body>
Child fork_child(Body&& body) {
    int fds[2];
    if (::pipe(fds) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        body(fds[1]);
        ::_exit(0);
    }
    ::close(fds[1]);
    if (pid < 0) {
        ::close(fds[0]);
        return {};
    }
    return {pid, fds[0]};
}

std::string topic_of(std::uint64_t number) { return "n/" + std::to_string(number); }

// The child of a kill -9 cycle: writes numbers from `first` on, each with a retained message, a
// persistent session's queue entry and a named queue item, and writes each number to `fd` once its
// commit is acknowledged. At most 64 batches are in flight. Never returns.
[[noreturn]] void write_numbers_until_killed(const std::string& path, int fd, std::uint64_t first) {
    try {
        auto store = Store::open(sqlite_options(path, Sync::normal));
        std::counting_semaphore<64> window(64);
        for (std::uint64_t n = first; n < first + 1'000'000; ++n) {
            if (!window.try_acquire_for(30s)) ::_exit(3);
            const MessageId m = store->next_id();
            Batch batch;
            batch.add(op::PutMessage{m, message(topic_of(n), std::to_string(n))})
                .add(op::PutRetained{topic_of(n), m})
                .add(op::Enqueue{"subscriber", {store->next_id(), m, 1, false}})
                .add(op::Append{"numbers", {store->next_id(), std::to_string(n)}});
            const auto ec = store->submit(std::move(batch), [&window, fd, n](std::error_code result) {
                if (result || ::write(fd, &n, sizeof n) != sizeof n) ::_exit(4);
                window.release();
            });
            if (ec) ::_exit(5);
        }
    } catch (...) {
        ::_exit(6);
    }
    ::_exit(7);  // never killed: the parent stopped reading
}

TEST(StoreCrashTest, EveryAcknowledgedWriteSurvivesKillMinus9) {
    TempDir dir;
    const std::string path = dir.file("mqgate.db");
    {
        auto store = Store::open(sqlite_options(path));
        ASSERT_FALSE(commit(*store, std::move(Batch{}.add(op::PutSession{"subscriber"}))));
    }
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::set<std::uint64_t> acked;
    for (std::uint64_t cycle = 1; cycle <= 20; ++cycle) {
        const auto [child, fd] = fork_child([&](int out) { write_numbers_until_killed(path, out, cycle * 1'000'000); });
        ASSERT_GT(child, 0);
        const int kill_after = std::uniform_int_distribution<int>(1, 400)(random);
        std::uint64_t n = 0;
        for (int i = 0; i < kill_after; ++i) {
            ASSERT_TRUE(read_full(fd, &n, sizeof n)) << "cycle " << cycle << ": the child stopped acknowledging";
            acked.insert(n);
        }
        ::kill(child, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "cycle " << cycle << ": status " << status;
        // Acknowledgements written before the kill count too.
        while (read_full(fd, &n, sizeof n)) acked.insert(n);
        ::close(fd);

        auto store = Store::open(sqlite_options(path));
        const LoadedState state = store->load();
        std::set<std::string> retained;
        for (const auto& r : state.retained) {
            ASSERT_EQ(state.messages.at(r.message).topic, r.topic);
            retained.insert(r.topic);
        }
        std::set<std::string> numbers;
        for (const auto& item : state.queues.at("numbers")) numbers.insert(item.data);
        ASSERT_EQ(state.sessions.size(), 1u);
        std::set<std::string> queued;
        for (const auto& q : state.sessions[0].queue) queued.insert(state.messages.at(q.message).payload);
        for (const std::uint64_t a : acked) {
            ASSERT_TRUE(retained.contains(topic_of(a))) << "cycle " << cycle << ": acknowledged " << a << " lost";
            ASSERT_TRUE(numbers.contains(std::to_string(a))) << "cycle " << cycle << ": " << a;
            ASSERT_TRUE(queued.contains(std::to_string(a))) << "cycle " << cycle << ": " << a;
        }
    }
    EXPECT_GE(acked.size(), 20u);
}

// The child of the disk-full test: returns what went wrong ("" if all went as it should).
std::string fill_disk_then_recover(const std::string& path, std::uint64_t* acked) {
    auto store = Store::open(sqlite_options(path, Sync::full));
    const rlim_t limit = store->stats().file_bytes + 512 * 1024;
    ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG instead of killing us
    rlimit small{limit, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return "setrlimit failed";

    std::error_code failure;
    for (std::uint64_t i = 0; i < 10'000 && !failure; ++i) {
        const MessageId m = store->next_id();
        Batch batch;
        batch.add(op::PutMessage{m, message("big/" + std::to_string(i), std::string(16 * 1024, 'b'))})
            .add(op::PutRetained{"big/" + std::to_string(i), m});
        failure = commit(*store, std::move(batch));
        if (!failure) *acked = i + 1;
    }
    // SQLite reports a file-size limit as an I/O error (a full device would be disk_full).
    if (failure != errc::io_error) return "expected io_error, got: " + failure.message();
    if (commit(*store, std::move(Batch{}.add(op::Append{"q", {store->next_id(), std::string(1 << 20, 'x')}}))) !=
        errc::io_error)
        return "a second write past the limit did not fail";
    auto stats = store->stats();
    if (stats.failed_commits != 2 || !stats.write_failing || stats.write_error_episodes != 1)
        return "stats during the episode: failed " + std::to_string(stats.failed_commits);

    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_FSIZE, &unlimited) != 0) return "setrlimit back failed";
    const MessageId m = store->next_id();
    if (const auto ec = commit(*store, std::move(Batch{}.add(op::PutMessage{m, message("after", "space")}).add(
                                           op::PutRetained{"after", m}))))
        return "no recovery: " + ec.message();
    stats = store->stats();
    if (stats.write_failing || stats.commits != *acked + 1) return "stats after recovery";
    return "";
}

TEST(StoreCrashTest, ADiskFullCommitFailsAloneAndTheStoreRecovers) {
    TempDir dir;
    const std::string path = dir.file("mqgate.db");
    {
        auto store = Store::open(sqlite_options(path));
        const MessageId m = store->next_id();
        ASSERT_FALSE(commit(*store, std::move(Batch{}.add(op::PutMessage{m, message("before", "1")}).add(
                                        op::PutRetained{"before", m}))));
    }
    const auto [child, fd] = fork_child([&](int out) {
        std::uint64_t acked = 0;
        std::string problem;
        try {
            problem = fill_disk_then_recover(path, &acked);
        } catch (const std::exception& e) {
            problem = e.what();
        }
        const std::string report = std::to_string(acked) + " " + problem;
        const bool written = ::write(out, report.data(), report.size()) == static_cast<ssize_t>(report.size());
        ::_exit(written ? 0 : 1);
    });
    ASSERT_GT(child, 0);
    std::string report;
    char buffer[512];
    for (int reads = 0; reads < 100; ++reads) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 60000) <= 0) break;
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        report.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const auto space = report.find(' ');
    ASSERT_NE(space, std::string::npos) << report;
    ASSERT_EQ(report.substr(space + 1), "") << report;
    const std::uint64_t acked = std::stoull(report.substr(0, space));
    EXPECT_GT(acked, 0u);

    // Everything acknowledged loads; the failed writes left nothing.
    auto store = Store::open(sqlite_options(path));
    const LoadedState state = store->load();
    std::set<std::string> topics;
    for (const auto& r : state.retained) topics.insert(r.topic);
    EXPECT_TRUE(topics.contains("before"));
    EXPECT_TRUE(topics.contains("after"));
    for (std::uint64_t i = 0; i < acked; ++i) EXPECT_TRUE(topics.contains("big/" + std::to_string(i))) << i;
    EXPECT_FALSE(topics.contains("big/" + std::to_string(acked)));
    EXPECT_EQ(topics.size(), acked + 2);
    EXPECT_FALSE(state.queues.contains("q"));
    // And the parent, with no limit, writes on.
    EXPECT_FALSE(commit(*store, std::move(Batch{}.add(op::EraseRetained{"before"}))));
}

}  // namespace
}  // namespace mqgate::store

// The kernel's receive time on a read: known answers from a loopback pair
// where the bytes wait in the socket for a known time before we read them.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "harness/clock.hpp"
#include "transports/common/stamped_tcp.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct pair_rig {
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    rtb::stamped_tcp client{io};
    tcp::socket server{io};

    explicit pair_rig(bool stamps) {
        client.socket().connect(acceptor.local_endpoint());
        acceptor.accept(server);
        if (stamps) {
            EXPECT_TRUE(client.enable_stamps());
            // The kernel turns stamping on in deferred work when no socket
            // had it; let that run before the first byte.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    // One async_read_some on the stamped stream, run to completion.
    std::string read(std::int64_t& done_ns, boost::system::error_code& ec) {
        std::string buf(64, '\0');
        std::size_t got = 0;
        client.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t n) {
            ec = e, got = n, done_ns = rtb::now_ns();
        });
        io.restart();
        io.run_for(std::chrono::seconds(5));
        return buf.substr(0, got);
    }
};

// Bytes that waited 60 ms in the socket: the stamp is when they arrived, so
// processing time minus stamp is the wait, not zero.
TEST(StampedTcp, BytesThatWaitedCarryTheirArrivalTime) {
    pair_rig rig(true);
    std::int64_t sent = rtb::now_ns();
    asio::write(rig.server, asio::buffer(std::string("hello")));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    std::int64_t done = 0;
    boost::system::error_code ec;
    EXPECT_EQ(rig.read(done, ec), "hello");
    EXPECT_FALSE(ec);
    ASSERT_GT(rig.client.rx_ns(), 0);
    EXPECT_GE(rig.client.rx_ns(), sent - 1'000'000); // clocks converted within a millisecond
    EXPECT_LT(rig.client.rx_ns() - sent, 10'000'000);
    EXPECT_GE(done - rig.client.rx_ns(), 55'000'000) << "the 60 ms wait in the socket";
}

// A read started before the bytes exist waits for them (the async_wait
// path). The bytes come 40 ms in, while the thread is busy until 100 ms:
// the stamp is their arrival, not when the wait woke or the read ran.
TEST(StampedTcp, AReadThatWaitsIsStampedWhenTheBytesCome) {
    pair_rig rig(true);
    std::int64_t begun = rtb::now_ns(), written = 0;
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(40));
        written = rtb::now_ns();
        asio::write(rig.server, asio::buffer(std::string("late")));
    });
    std::string buf(8, '\0');
    std::size_t got = 0;
    std::int64_t done = 0;
    boost::system::error_code ec;
    rig.client.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t n) {
        ec = e, got = n, done = rtb::now_ns();
    });
    asio::post(rig.io, [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); });
    rig.io.run_for(std::chrono::seconds(5));
    writer.join();
    EXPECT_FALSE(ec);
    EXPECT_EQ(buf.substr(0, got), "late");
    EXPECT_GE(rig.client.rx_ns(), written - 1'000'000);
    EXPECT_LT(rig.client.rx_ns() - written, 30'000'000);
    EXPECT_GE(done - begun, 95'000'000);
    EXPECT_GE(done - rig.client.rx_ns(), 30'000'000) << "the stamp is not the time of the read";
}

// The documented bound: bytes that queued behind later ones on the same
// connection carry the newest arrival (the kernel merges the segments and
// keeps the newer stamp; one stamp per read). "a" waits 50 ms, then "b"
// comes: one read returns both, stamped at "b" — later than "a" arrived,
// never earlier.
TEST(StampedTcp, QueuedBytesCarryTheNewestArrival) {
    pair_rig rig(true);
    asio::write(rig.server, asio::buffer(std::string("a")));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::int64_t second = rtb::now_ns();
    asio::write(rig.server, asio::buffer(std::string("b")));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::int64_t done = 0;
    boost::system::error_code ec;
    EXPECT_EQ(rig.read(done, ec), "ab");
    EXPECT_GE(rig.client.rx_ns(), second - 1'000'000);
}

// The peer's close is end of file, and a stream that never asked for
// stamps reads through the socket with none.
TEST(StampedTcp, EndOfFileAndUnstampedReads) {
    {
        pair_rig rig(true);
        rig.server.close();
        std::int64_t done = 0;
        boost::system::error_code ec;
        EXPECT_EQ(rig.read(done, ec), "");
        EXPECT_EQ(ec, asio::error::eof);
    }
    {
        // A zero-size read completes at once (posted) with nothing read.
        pair_rig rig(true);
        bool called = false;
        rig.client.async_read_some(asio::mutable_buffer(), [&](boost::system::error_code e, std::size_t n) {
            called = true;
            EXPECT_FALSE(e);
            EXPECT_EQ(n, 0u);
        });
        EXPECT_FALSE(called) << "never inside the initiating call";
        rig.io.run_for(std::chrono::seconds(5));
        EXPECT_TRUE(called);
    }
    // Without stamps, reads are the socket's own: the bytes, no stamp.
    pair_rig rig(false);
    asio::write(rig.server, asio::buffer(std::string("plain")));
    std::int64_t done = 0;
    boost::system::error_code ec;
    EXPECT_EQ(rig.read(done, ec), "plain");
    EXPECT_EQ(rig.client.rx_ns(), 0);
}

// Closing the socket cancels a read waiting for bytes (what a client's
// teardown does): the handler runs with an error, once.
TEST(StampedTcp, CloseCancelsAWaitingRead) {
    pair_rig rig(true);
    int calls = 0;
    boost::system::error_code ec;
    std::string buf(8, '\0');
    rig.client.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t) { ec = e, ++calls; });
    asio::post(rig.io, [&] { rig.client.socket().close(); });
    rig.io.run_for(std::chrono::seconds(5));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(ec, asio::error::operation_aborted);
}

// Bytes, or an EOF, that arrived while nothing waited: Asio's epoll is
// edge-triggered, so the event went by with no operation queued. Both a
// plain async_wait (Asio re-arms the descriptor when it queues one) and
// async_wait_readable (which asks the kernel first) must still wake: an
// idle connection relies on it to see its client's next request or close.
TEST(StampedTcp, WaitReadableSeesWhatCameWhileNothingWaited) {
    for (bool eof : {false, true}) {
        for (bool plain : {true, false}) {
            pair_rig rig(false);
            if (eof) rig.server.close();
            else asio::write(rig.server, asio::buffer(std::string("x")));
            // Let the reactor see the event with nothing queued.
            asio::steady_timer idle(rig.io, std::chrono::milliseconds(30));
            idle.async_wait([](boost::system::error_code) {});
            rig.io.run();
            rig.io.restart();

            bool woke = false;
            boost::system::error_code ec;
            auto on_wake = [&](boost::system::error_code e) { woke = true, ec = e; };
            if (plain) rig.client.socket().async_wait(tcp::socket::wait_read, on_wake);
            else rig.client.async_wait_readable(on_wake);
            EXPECT_FALSE(woke) << "never inside the initiating call";
            rig.io.run_for(std::chrono::seconds(5));
            EXPECT_TRUE(woke) << "eof " << eof << " plain " << plain;
            EXPECT_FALSE(ec);
            std::string buf(8, '\0');
            std::size_t n = 0;
            auto r = rig.client.read_now(asio::buffer(buf), n);
            if (eof) {
                EXPECT_EQ(r, asio::error::eof);
            } else {
                EXPECT_EQ(buf.substr(0, n), "x");
                EXPECT_EQ(rig.client.read_now(asio::buffer(buf), n), asio::error::would_block);
            }
        }
    }
}

} // namespace

// The kernel's receive time on a read: known answers from a loopback pair
// where the bytes wait in the socket for a known time before we read them.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
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
        client.tcp().socket().connect(acceptor.local_endpoint());
        acceptor.accept(server);
        if (stamps) {
            EXPECT_TRUE(client.enable_stamps());
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
// path) and is stamped with their arrival, 40 ms after it began.
TEST(StampedTcp, AReadThatWaitsIsStampedWhenTheBytesCome) {
    pair_rig rig(true);
    std::int64_t begun = rtb::now_ns();
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(40));
        asio::write(rig.server, asio::buffer(std::string("late")));
    });
    std::int64_t done = 0;
    boost::system::error_code ec;
    EXPECT_EQ(rig.read(done, ec), "late");
    writer.join();
    EXPECT_FALSE(ec);
    EXPECT_GE(rig.client.rx_ns() - begun, 35'000'000);
    EXPECT_GE(done, rig.client.rx_ns());
}

// The peer's close is end of file, and a stream that never asked for
// stamps reads through Beast's tcp_stream with none.
TEST(StampedTcp, EndOfFileAndUnstampedReads) {
    {
        pair_rig rig(true);
        rig.server.close();
        std::int64_t done = 0;
        boost::system::error_code ec;
        EXPECT_EQ(rig.read(done, ec), "");
        EXPECT_EQ(ec, asio::error::eof);
    }
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
    asio::post(rig.io, [&] { rig.client.tcp().close(); });
    rig.io.run_for(std::chrono::seconds(5));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(ec, asio::error::operation_aborted);
}

} // namespace

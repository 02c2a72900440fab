// End-to-end: every registered transport, real loopback sockets.
#include <gtest/gtest.h>

#include "tests/loopback.hpp"

using namespace rtb;
using namespace rtb::test;
using namespace std::chrono_literals;

namespace {

class Transport : public ::testing::TestWithParam<const transport_descriptor*> {
protected:
    client_config config(std::uint16_t port, std::string id = {}) {
        client_config c;
        c.port = port;
        c.id = std::move(id);
        c.transport.set("poll-interval-ms", 20);
        c.reconnect_delay = 20ms;
        return c;
    }
    std::shared_ptr<client_session> start(io_thread& t, const client_config& c, collector& ev) {
        return start_client(t, *GetParam(), c, ev);
    }
};

std::string name_of(const ::testing::TestParamInfo<const transport_descriptor*>& i) {
    std::string n(i.param->name);
    for (auto& c : n)
        if (c == '-') c = '_';
    return n;
}

TEST_P(Transport, ClientsReceiveEveryMessageInOrderExactlyOnce) {
    server_rig srv;
    io_thread ct;
    constexpr int n_clients = 3;
    constexpr std::uint64_t n_msgs = 50;
    std::vector<collector> evs(n_clients);
    std::vector<std::shared_ptr<client_session>> cs;
    for (int i = 0; i < n_clients; ++i) cs.push_back(start(ct, config(srv.port), evs[i]));
    for (auto& e : evs) ASSERT_TRUE(e.wait_ready(1));
    for (std::uint64_t i = 0; i < n_msgs; ++i) srv.publish("all", "t", 32);
    for (auto& e : evs) {
        ASSERT_TRUE(e.wait_messages(n_msgs)) << "got " << e.seqs().size();
        EXPECT_EQ(e.seqs(), iota_seq(1, n_msgs));
        for (auto& r : e.records()) EXPECT_TRUE(payload_ok(parse_body(r)->payload));
    }
    std::this_thread::sleep_for(60ms); // nothing extra arrives
    for (auto& e : evs) EXPECT_EQ(e.seqs().size(), n_msgs);
    close_all(ct, cs);
}

TEST_P(Transport, ForcedReconnectResumesWithNothingLostOrDuplicated) {
    server_rig srv;
    io_thread ct;
    collector ev;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, config(srv.port), ev)};
    ASSERT_TRUE(ev.wait_ready(1));
    for (int i = 0; i < 20; ++i) srv.publish("all", "t", 16);
    ASSERT_TRUE(ev.wait_messages(20));
    on(ct.io, [&] { cs[0]->drop(); });
    for (int i = 0; i < 20; ++i) srv.publish("all", "t", 16); // while it is away
    ASSERT_TRUE(ev.wait_ready(2));
    for (int i = 0; i < 10; ++i) srv.publish("all", "t", 16);
    ASSERT_TRUE(ev.wait_messages(50)) << ev.seqs().size();
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(ev.seqs(), iota_seq(1, 50));
    close_all(ct, cs);
}

TEST_P(Transport, ResumesFromFarBackInTheHistoryThenFollowsLive) {
    // 9,000 messages behind with --history 10000 (more than --max-queue,
    // 4,096): the replay must stream as the socket drains, never be queued
    // whole (which dropped the client as a slow consumer, forever).
    server_options opt;
    opt.history = 10000;
    server_rig srv(opt);
    io_thread ct;
    collector ev;
    auto cfg = config(srv.port);
    cfg.reconnect_delay = 500ms;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, cfg, ev)};
    ASSERT_TRUE(ev.wait_ready(1));
    srv.publish("all", "t", 16);
    ASSERT_TRUE(ev.wait_messages(1));
    on(ct.io, [&] { cs[0]->drop(); });
    // The server must have closed the dropped connection (a push connection
    // it still held would fill its queue with the 9,000 and count as slow).
    // No socket left at all, in one read: a request sent just before the
    // drop may still be routed and held for an instant.
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
        auto st = srv.stats();
        gone = st.active == 0 && st.subscribers == 0;
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(gone);
    srv.publish_many("all", "t", 16, 9000); // while it is away
    ASSERT_TRUE(ev.wait_messages(9001)) << ev.seqs().size();
    for (int i = 0; i < 5; ++i) srv.publish("all", "t", 16);
    ASSERT_TRUE(ev.wait_messages(9006)) << ev.seqs().size();
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(ev.seqs(), iota_seq(1, 9006));
    EXPECT_EQ(srv.stats().slow_consumers, 0u);
    close_all(ct, cs);
}

TEST_P(Transport, GapBeyondHistoryIsReported) {
    server_options opt;
    opt.history = 5;
    server_rig srv(opt);
    io_thread ct;
    collector ev;
    auto cfg = config(srv.port);
    cfg.reconnect_delay = 300ms;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, cfg, ev)};
    ASSERT_TRUE(ev.wait_ready(1));
    srv.publish("all", "t", 8);
    ASSERT_TRUE(ev.wait_messages(1));
    on(ct.io, [&] { cs[0]->drop(); });
    for (int i = 0; i < 20; ++i) srv.publish("all", "t", 8); // seqs 2..21; history keeps 17..21
    ASSERT_TRUE(ev.wait_messages(6));
    auto recs = ev.records();
    ASSERT_GE(recs.size(), 2u);
    EXPECT_EQ(recs[1], "!gap 2 16");
    EXPECT_EQ(ev.seqs(), (std::vector<std::uint64_t>{1, 17, 18, 19, 20, 21}));
    close_all(ct, cs);
}

TEST_P(Transport, ClientToServerMessagesArrive) {
    server_rig srv;
    io_thread ct;
    collector a, b;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, config(srv.port, "a"), a),
                                                    start(ct, config(srv.port, "b"), b)};
    ASSERT_TRUE(a.wait_ready(1));
    ASSERT_TRUE(b.wait_ready(1));
    auto payload = make_payload(100);
    on(ct.io, [&] {
        cs[0]->send(std::make_shared<const std::string>(format_upstream("client:a", "echo1", payload)));
        cs[0]->send(std::make_shared<const std::string>(format_upstream("client:b", "tob", payload)));
        cs[1]->send(std::make_shared<const std::string>(format_upstream("all", "toall", payload)));
    });
    ASSERT_TRUE(a.wait_messages(2));
    ASSERT_TRUE(b.wait_messages(2));
    std::this_thread::sleep_for(60ms);
    auto tags = [](collector& c) {
        std::multiset<std::string> s;
        for (auto& r : c.records()) s.insert(std::string(parse_body(r)->tag));
        return s;
    };
    EXPECT_EQ(tags(a), (std::multiset<std::string>{"echo1", "toall"}));
    EXPECT_EQ(tags(b), (std::multiset<std::string>{"tob", "toall"}));
    EXPECT_EQ(srv.stats().upstream, 3u);
    EXPECT_EQ(on(ct.io, [&] { return cs[0]->sent(); }), 2u);
    close_all(ct, cs);
}

TEST_P(Transport, RoomDeliveryReachesExactlyTheRoom) {
    server_rig srv;
    io_thread ct;
    collector red1, red2, blue;
    auto c1 = config(srv.port, "r1");
    c1.rooms = {"red"};
    auto c2 = config(srv.port, "r2");
    c2.rooms = {"red", "green"};
    auto c3 = config(srv.port, "b1");
    c3.rooms = {"blue"};
    std::vector<std::shared_ptr<client_session>> cs{start(ct, c1, red1), start(ct, c2, red2),
                                                    start(ct, c3, blue)};
    for (auto* e : {&red1, &red2, &blue}) ASSERT_TRUE(e->wait_ready(1));
    srv.publish("room:red", "r", 8);   // 1
    srv.publish("room:blue", "b", 8);  // 2
    srv.publish("room:green", "g", 8); // 3
    srv.publish("all", "a", 8);        // 4
    ASSERT_TRUE(red1.wait_messages(2));
    ASSERT_TRUE(red2.wait_messages(3));
    ASSERT_TRUE(blue.wait_messages(2));
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(red1.seqs(), (std::vector<std::uint64_t>{1, 4}));
    EXPECT_EQ(red2.seqs(), (std::vector<std::uint64_t>{1, 3, 4}));
    EXPECT_EQ(blue.seqs(), (std::vector<std::uint64_t>{2, 4}));
    close_all(ct, cs);
}

INSTANTIATE_TEST_SUITE_P(All, Transport, ::testing::ValuesIn(all_transports().begin(), all_transports().end()),
                         name_of);

} // namespace

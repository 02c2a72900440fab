#pragma once
// Client side of polling and long polling: GET <path>?cursor=N on a
// keep-alive connection, deliver every record of the answer, go again. A
// polling transport with another answer format (JSONP) overrides target()
// and on_answer().
#include "transports/common/client_base.hpp"

namespace rtb {

class batch_client : public client_base {
public:
    // `pause` between an answer and the next request (0 for long polling).
    batch_client(asio::io_context& io, const client_config& cfg, client_events& ev,
                 std::string path, std::chrono::milliseconds pause, bool reconnect_each,
                 const browser_request& kind = fetch_get);

protected:
    // The target of the next poll: "<path>?cursor=N&<identity>".
    virtual std::string target();
    // One 200 answer: emit() its records and advance_cursor() to where the
    // server says the next poll starts. False: malformed (the poll fails).
    // The default reads the batch format (transports/common/batch.hpp).
    virtual bool on_answer(const http::response<http::string_body>& res, std::int64_t kernel_ns);
    const std::string path_;

    void connect() override;
    void teardown() override;
    // An answer being read: its body so far, and what is buffered unparsed.
    std::uint64_t pending_bytes() const override {
        return buffer_.size() + (parser_ && !parser_->is_done() ? parser_->get().body().size() : 0);
    }

private:
    void on_connect(std::uint64_t gen, beast::error_code ec);
    void do_request();
    void on_write(std::uint64_t gen, beast::error_code ec, std::size_t n);
    void on_read(std::uint64_t gen, beast::error_code ec, std::size_t n);

    std::chrono::milliseconds pause_;
    bool reconnect_each_;
    flex_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> req_;
    std::optional<http::response_parser<http::string_body>> parser_;
    asio::steady_timer pause_timer_;
    const browser_request& kind_;
    bool subscribed_ = false;  // ready() called for this connection
};

} // namespace rtb

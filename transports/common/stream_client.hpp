#pragma once
// Client side of a chunked push stream (HTTP streaming and SSE): one GET, a
// 200 with Transfer-Encoding: chunked, then chunk data fed to a decoder.
#include <functional>

#include "transports/common/client_base.hpp"

namespace rtb {

class stream_client : public client_base {
public:
    stream_client(asio::io_context& io, const client_config& cfg, client_events& ev,
                  const browser_request& kind);

protected:
    // The request target for this (re)connect.
    virtual std::string target() = 0;
    virtual void decorate(http::request<http::empty_body>&) {}
    // Chunk data as it arrives (not aligned to records); decode and emit().
    virtual void on_data(std::string_view data, std::int64_t kernel_ns) = 0;
    // A new connection starts a new stream: forget partial input.
    virtual void reset_decoder() = 0;
    // Ready once the answer's head is in (the default), or, false, when the
    // decoder says so (calling ready()): a stream whose preamble is part
    // of what connecting costs (htmlfile's padded document head).
    virtual bool ready_on_header() const { return true; }
    // Why a 200 answer is not this transport's stream ("" when it is): an
    // EventSource refuses any Content-Type but text/event-stream.
    virtual std::string refuse_answer(const http::fields&) const { return {}; }

    void connect() override;
    void teardown() override;
    std::uint64_t pending_bytes() const override { return buffer_.size() + decoder_pending(); }
    // Bytes the decoder holds of a record it has not completed.
    virtual std::uint64_t decoder_pending() const = 0;

private:
    void on_connect(std::uint64_t gen, beast::error_code ec);
    void on_write(std::uint64_t gen, beast::error_code ec, std::size_t n);
    void on_header(std::uint64_t gen, beast::error_code ec, std::size_t n);
    void do_read(std::uint64_t gen);
    void on_read(std::uint64_t gen, beast::error_code ec, std::size_t n);
    // A body that is neither chunked nor sized ends when the server closes
    // (RFC 9112 6.3, item 8): an external server's stream may be one (an
    // HTTP/1.0 server's always is). Its bytes go to on_data() as they come.
    void do_read_raw(std::uint64_t gen);
    void on_read_raw(std::uint64_t gen, beast::error_code ec, std::size_t n);

    const browser_request& kind_;
    flex_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> req_;
    std::optional<http::response_parser<http::string_body>> parser_;
    std::function<std::size_t(std::uint64_t, std::string_view, beast::error_code&)> on_chunk_;
};

// Splits a byte stream into LF-terminated lines (the streaming decoder).
class line_splitter {
public:
    template <class F>
    void feed(std::string_view data, F&& on_line) {
        while (!data.empty()) {
            auto nl = data.find('\n');
            if (nl == std::string_view::npos) {
                partial_.append(data);
                return;
            }
            if (partial_.empty()) {
                on_line(data.substr(0, nl));
            } else {
                partial_.append(data.substr(0, nl));
                on_line(std::string_view(partial_));
                partial_.clear();
            }
            data.remove_prefix(nl + 1);
        }
    }
    void reset() { partial_.clear(); }
    std::size_t pending() const { return partial_.size(); }

private:
    std::string partial_;
};

} // namespace rtb

#include "transports/websocket/ws_frames.hpp"

#include <array>

#include <openssl/evp.h>

namespace rtb::ws {

std::string server_frame(opcode op, std::string_view payload) {
    std::string f;
    std::size_t len = payload.size();
    std::size_t ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
    f.reserve(2 + ext + len);
    f.push_back(static_cast<char>(0x80 | static_cast<unsigned>(op)));
    f.push_back(static_cast<char>(len < 126 ? len : len < 65536 ? 126 : 127));
    for (std::size_t i = ext; i-- > 0;) f.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    f.append(payload);
    return f;
}

std::string close_payload(std::uint16_t code) {
    return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

std::string accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string in(key);
    in.append(guid);
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    EVP_Digest(in.data(), in.size(), md.data(), &md_len, EVP_sha1(), nullptr);
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
    int n = EVP_EncodeBlock(b64.data(), md.data(), static_cast<int>(md_len));
    return {reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(n)};
}

bool valid_utf8(std::string_view s) {
    static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000}; // by sequence length
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || s.size() - i < len) return false;
        std::uint32_t cp = c & (0x7f >> len);
        for (std::size_t k = 1; k < len; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        if (cp < smallest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

bool valid_close_code(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::size_t frame_reader::next(char* p, std::size_t n, event& ev) {
    ev = {};
    done_.reset();
    auto byte = [p](std::size_t i) { return static_cast<unsigned char>(p[i]); };
    auto fail = [&ev](std::uint16_t code) {
        ev.what = event::error;
        ev.code = code;
        return std::size_t{1};
    };
    if (n < 2) return 0;
    bool fin = byte(0) & 0x80;
    auto op = static_cast<opcode>(byte(0) & 0x0f);
    if (byte(0) & 0x70) return fail(close_code::protocol); // RSV bits: no extension was agreed
    if (!(byte(1) & 0x80)) return fail(close_code::protocol); // a client masks every frame (5.1)
    std::uint64_t len = byte(1) & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
        if (n < 4) return 0;
        len = (std::uint64_t{byte(2)} << 8) | byte(3);
        head = 4;
        if (len < 126) return fail(close_code::protocol); // not the shortest form (5.2)
    } else if (len == 127) {
        if (n < 10) return 0;
        len = 0;
        for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | byte(i);
        head = 10;
        if (len < 65536 || (len >> 63)) return fail(close_code::protocol);
    }
    bool control = static_cast<unsigned>(op) & 8;
    if (control) {
        if (!fin || len > 125 || op > opcode::pong) return fail(close_code::protocol); // 5.5
    } else if (op > opcode::binary || (op == opcode::cont) != bool(partial_)) {
        return fail(close_code::protocol); // an unknown opcode, a continuation of nothing, or a new message inside one
    }
    std::size_t have = partial_ ? partial_->size() : 0;
    if (!control && len > max_ - have) return fail(close_code::too_big);
    head += 4;
    if (n < head || n - head < len) return 0;
    char* body = p + head;
    for (std::size_t i = 0; i < len; ++i) body[i] = static_cast<char>(body[i] ^ p[head - 4 + (i & 3)]);
    std::string_view payload(body, static_cast<std::size_t>(len));
    std::size_t took = head + static_cast<std::size_t>(len);

    if (control) {
        if (op == opcode::ping) ev.what = event::ping, ev.data = payload;
        else if (op == opcode::pong) ev.what = event::pong, ev.data = payload;
        else {
            if (payload.size() == 1) return fail(close_code::protocol); // 5.5.1: a code is two bytes
            if (payload.size() >= 2) {
                ev.code = static_cast<std::uint16_t>((byte(head) << 8) | byte(head + 1));
                if (!valid_close_code(ev.code)) return fail(close_code::protocol);
                ev.data = payload.substr(2);
                if (!valid_utf8(ev.data)) return fail(close_code::bad_payload);
            }
            ev.what = event::close;
        }
        return took;
    }
    if (!partial_ && !fin) {
        partial_ = std::make_unique<std::string>();
        partial_op_ = op;
    }
    if (partial_) {
        partial_->append(payload);
        if (!fin) {
            ev.what = event::fragment;
            return took;
        }
        op = partial_op_;
        done_ = std::move(partial_);
        payload = *done_;
    }
    if (op == opcode::text && !valid_utf8(payload)) return fail(close_code::bad_payload);
    ev.what = event::message;
    ev.op = op;
    ev.data = payload;
    return took;
}

} // namespace rtb::ws

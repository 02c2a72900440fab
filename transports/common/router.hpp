#pragma once
// Routes a request path to a handler: literal paths ("/sse"), segments that
// are parameters ("/sockjs/{server}/{session}/xhr_streaming") and a last
// segment that takes the rest of the path ("/static/{file*}").
//
// A trie of path segments: matching costs one ordered-map look-up per
// segment (O(depth x log fan-out)), whatever the number of routes. A literal
// segment is tried before a parameter at the same depth, so "/a/info" wins
// over "/a/{id}" for "info" and "/a/{id}" still gets everything else.
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtb {

using path_params = std::vector<std::pair<std::string, std::string>>;

template <class T>
class router {
public:
    // Throws std::invalid_argument for a malformed pattern or one that is
    // already taken (two handlers for one path would be a silent bug).
    void add(std::string_view pattern, T value) {
        if (pattern.empty() || pattern.front() != '/')
            throw std::invalid_argument("route must start with '/': " + std::string(pattern));
        node* n = &root_;
        auto segs = split(pattern);
        for (std::size_t i = 0; i < segs.size(); ++i) {
            std::string_view s = segs[i];
            if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
                std::string_view name = s.substr(1, s.size() - 2);
                bool rest = !name.empty() && name.back() == '*';
                if (rest) name.remove_suffix(1);
                if (name.empty() || (rest && i + 1 != segs.size()))
                    throw std::invalid_argument("bad route parameter in " + std::string(pattern));
                auto& child = rest ? n->rest : n->param;
                if (!child) child = std::make_unique<node>();
                if (!child->param_name.empty() && child->param_name != name)
                    throw std::invalid_argument("conflicting parameter names in " + std::string(pattern));
                child->param_name = std::string(name);
                n = child.get();
            } else {
                auto& child = n->literal[std::string(s)];
                if (!child) child = std::make_unique<node>();
                n = child.get();
            }
        }
        if (n->value) throw std::invalid_argument("route added twice: " + std::string(pattern));
        n->value.emplace(std::move(value));
    }

    // The value for `path` (already percent-decoded, without the query), or
    // nullptr; `params` receives the parameters in pattern order.
    const T* match(std::string_view path, path_params& params) const {
        if (path.empty() || path.front() != '/') return nullptr;
        auto segs = split(path);
        return find(root_, segs, 0, params);
    }

private:
    struct node {
        std::map<std::string, std::unique_ptr<node>, std::less<>> literal;
        std::unique_ptr<node> param, rest;
        std::string param_name;
        std::optional<T> value;
    };

    // "/" -> {}, "/a/b" -> {a, b}, "/a/" -> {a, ""}.
    static std::vector<std::string_view> split(std::string_view path) {
        std::vector<std::string_view> out;
        path.remove_prefix(1);
        if (path.empty()) return out;
        for (;;) {
            auto slash = path.find('/');
            out.push_back(path.substr(0, slash));
            if (slash == std::string_view::npos) return out;
            path.remove_prefix(slash + 1);
        }
    }

    static std::string join(const std::vector<std::string_view>& segs, std::size_t from) {
        std::string s;
        for (std::size_t i = from; i < segs.size(); ++i) {
            if (i > from) s += '/';
            s += segs[i];
        }
        return s;
    }

    const T* find(const node& n, const std::vector<std::string_view>& segs, std::size_t i,
                  path_params& params) const {
        if (i == segs.size()) return n.value ? &*n.value : nullptr;
        if (auto it = n.literal.find(segs[i]); it != n.literal.end())
            if (auto* v = find(*it->second, segs, i + 1, params)) return v;
        if (n.param && !segs[i].empty()) {
            params.emplace_back(n.param->param_name, std::string(segs[i]));
            if (auto* v = find(*n.param, segs, i + 1, params)) return v;
            params.pop_back();
        }
        if (n.rest && n.rest->value) {
            params.emplace_back(n.rest->param_name, join(segs, i));
            return &*n.rest->value;
        }
        return nullptr;
    }

    node root_;
};

} // namespace rtb

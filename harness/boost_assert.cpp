// Boost's assertion handler (BOOST_ENABLE_ASSERT_DEBUG_HANDLER, set for every
// target in CMakeLists.txt): active only where NDEBUG is not defined (the
// sanitizer and fuzz builds), exactly like the default BOOST_ASSERT, with one
// exception.
//
// Beast 1.81 (Debian's Boost) asserts `n >= 5` when the final chunk of a
// chunked body arrives in two reads split right after "0\r\n": the next call
// legitimately sees four bytes ("0\r\n\r"). The code after the assertion
// handles it (it asks for more bytes), the assertion is what is wrong:
// boostorg/beast#2861 changed it to n >= 3, in Boost 1.86. Found by
// fuzz_chunked; a streaming client of a debug build aborted on a valid body
// that TCP happened to split there. Every other assertion still aborts.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/assert.hpp>

namespace {
bool known_wrong(std::string_view expr, std::string_view file) {
    return expr == "n >= 5" && file.ends_with("boost/beast/http/impl/basic_parser.ipp");
}

[[noreturn]] void fail(const char* expr, const char* msg, const char* function, const char* file,
                       long line) {
    std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s.\n", file, line, function, expr,
                 msg ? ": " : "", msg ? msg : "");
    std::abort();
}
} // namespace

namespace boost {
void assertion_failed(const char* expr, const char* function, const char* file, long line) {
    if (known_wrong(expr, file)) return;
    fail(expr, nullptr, function, file, line);
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
    fail(expr, msg, function, file, line);
}
} // namespace boost

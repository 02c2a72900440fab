// Boost.URL's compiled part, built once here (Debian ships its headers but
// no library), as asio_beast_impl.cpp does for Asio and Beast.
#include <boost/url/src.hpp>

// RESP encoding: how the proxy writes Redis commands and bulk strings (the one copy; the parsers
// read them: request_parser.hpp, reply_parser.hpp).
//
// Source: the Redis protocol specification. A command is an array of bulk strings:
// "*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per argument; binary-safe.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace ringleader::proxy::redis {

/// Appends "*<count>\r\n", the head of an array of `count` elements.
void append_array_head(std::string& out, std::size_t count);
/// Appends `value` as a bulk string.
void append_bulk(std::string& out, std::string_view value);
/// Appends a command: an array of `args` as bulk strings.
void append_command(std::string& out, std::span<const std::string_view> args);
/// An error reply: "-ERR <message>\r\n".
std::string error_reply(std::string_view message);
/// A command, e.g. command({"SELECT", "2"}).
std::string command(std::initializer_list<std::string_view> args);

}  // namespace ringleader::proxy::redis

#include "cli_io.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstring>

namespace imgstore::cli {
namespace {

constexpr std::size_t initial_block = 1u << 20;
constexpr char hex_digits[] = "0123456789abcdef";

bool needs_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

// The escape sequence of one byte for which needs_escape() is true.
std::string_view escape_of(char c, char (&tmp)[6]) {
    switch (c) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\n':
            return "\\n";
        case '\r':
            return "\\r";
        case '\t':
            return "\\t";
        case '\b':
            return "\\b";
        case '\f':
            return "\\f";
        default:
            break;
    }
    const auto u = static_cast<unsigned char>(c);
    tmp[0] = '\\';
    tmp[1] = 'u';
    tmp[2] = '0';
    tmp[3] = '0';
    tmp[4] = hex_digits[u >> 4];
    tmp[5] = hex_digits[u & 0xF];
    return {tmp, 6};
}

template <class Sink>
void escape_into(Sink&& sink, std::string_view s) {
    sink(std::string_view("\"", 1));
    std::size_t run = 0;  // start of the pending run of bytes that need no escape
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!needs_escape(s[i])) continue;
        if (i > run) sink(s.substr(run, i - run));
        char tmp[6];
        sink(escape_of(s[i], tmp));
        run = i + 1;
    }
    if (run < s.size()) sink(s.substr(run));
    sink(std::string_view("\"", 1));
}

void pretty(std::string& out, const boost::json::value& v, std::size_t indent) {
    const auto newline = [&](std::size_t n) {
        out += '\n';
        out.append(n, ' ');
    };
    switch (v.kind()) {
        case boost::json::kind::object: {
            const auto& o = v.get_object();
            if (o.empty()) {
                out += "{}";
                return;
            }
            out += '{';
            bool first = true;
            for (const auto& kv : o) {
                if (!first) out += ',';
                first = false;
                newline(indent + 2);
                append_json_string(out, kv.key());
                out += ": ";
                pretty(out, kv.value(), indent + 2);
            }
            newline(indent);
            out += '}';
            return;
        }
        case boost::json::kind::array: {
            const auto& a = v.get_array();
            if (a.empty()) {
                out += "[]";
                return;
            }
            // Arrays of scalars stay on one line: ["file", "filesystem"].
            const bool flat = std::none_of(a.begin(), a.end(), [](const boost::json::value& e) {
                return e.is_object() || e.is_array();
            });
            out += '[';
            bool first = true;
            for (const auto& e : a) {
                if (!first) out += flat ? ", " : ",";
                first = false;
                if (!flat) newline(indent + 2);
                pretty(out, e, indent + 2);
            }
            if (!flat) newline(indent);
            out += ']';
            return;
        }
        case boost::json::kind::string:
            append_json_string(out, v.get_string());
            return;
        default:
            out += boost::json::serialize(v);
            return;
    }
}

}  // namespace

line_reader::line_reader(std::FILE* in, std::size_t max_line)
    : in_(in), max_line_(std::max<std::size_t>(max_line, 1)) {
    buf_.resize(std::min(initial_block, max_line_ + 1));
}

line_reader::status line_reader::next(std::string_view& text, bool& had_newline) {
    for (;;) {
        const char* base = buf_.data();
        const std::size_t from = begin_ + scanned_;
        if (from < end_) {
            const void* nl = std::memchr(base + from, '\n', end_ - from);
            if (nl != nullptr) {
                const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
                text = std::string_view(base + begin_, at - begin_);
                begin_ = at + 1;
                scanned_ = 0;
                had_newline = true;
                return status::line;
            }
            scanned_ = end_ - begin_;
        }
        if (eof_) {
            if (begin_ == end_) return status::end;
            text = std::string_view(base + begin_, end_ - begin_);
            begin_ = end_;
            scanned_ = 0;
            had_newline = false;
            return status::line;
        }
        // Make room: move the unfinished line to the front, grow, or hand out a piece.
        if (begin_ > 0) {
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (end_ == buf_.size()) {
            // Room for max_line bytes and their '\n': a full buffer without one holds a line
            // longer than max_line.
            if (buf_.size() < max_line_ + 1) {
                buf_.resize(std::min(buf_.size() * 2, max_line_ + 1));
            } else {
                text = std::string_view(buf_.data(), end_);
                begin_ = end_ = scanned_ = 0;
                return status::partial;
            }
        }
        const std::size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, in_);
        end_ += n;
        if (n == 0) {
            if (std::ferror(in_)) return status::error;
            eof_ = true;
        }
    }
}

output_buffer::output_buffer(std::FILE* out, std::size_t capacity)
    : out_(out), buf_(capacity), capacity_(capacity) {}

output_buffer::~output_buffer() { flush(); }

void output_buffer::put_slow(std::string_view s) {
    flush_buffer();
    if (s.size() <= capacity_) {
        s.copy(buf_.data(), s.size());
        size_ = s.size();
    } else if (ok_ && std::fwrite(s.data(), 1, s.size(), out_) != s.size()) {
        ok_ = false;
    }
}

void output_buffer::flush_buffer() {
    if (size_ > 0 && ok_ && std::fwrite(buf_.data(), 1, size_, out_) != size_) ok_ = false;
    size_ = 0;
}

bool output_buffer::flush() {
    flush_buffer();
    if (ok_ && std::fflush(out_) != 0) ok_ = false;
    return ok_;
}

void output_buffer::put_json_string(std::string_view s) {
    escape_into([this](std::string_view piece) { put(piece); }, s);
}

void output_buffer::put_uint(unsigned long long v) {
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    put(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}

void append_json_string(std::string& out, std::string_view s) {
    escape_into([&out](std::string_view piece) { out.append(piece); }, s);
}

std::string pretty_json(const boost::json::value& v) {
    std::string out;
    pretty(out, v, 0);
    out += '\n';
    return out;
}

}  // namespace imgstore::cli

// Streaming I/O for the imgstore tool: a line reader over large fread blocks, a large output
// buffer flushed with fwrite, hand-written JSON string escaping and a JSON pretty printer.
// No imgstore logic lives here.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace imgstore::cli {

/// Reads lines from a FILE* in large blocks, in memory bounded by `max_line` (plus one block).
/// Not thread-safe; owns no FILE (the caller closes it).
class line_reader {
  public:
    enum class status {
        line,     ///< `text` is a whole line (or the last piece of a long one)
        partial,  ///< `text` is a piece of a line longer than max_line; more pieces follow
        end,      ///< end of input
        error,    ///< a read error (errno is set)
    };

    /// `max_line`: longest line returned whole (its '\n' not counted: a line of exactly
    /// max_line bytes is a line, one byte more is partial); the buffer starts at
    /// min(1 MiB, max_line + 1) and grows up to max_line + 1.
    line_reader(std::FILE* in, std::size_t max_line);

    /// The next line without its '\n' (a '\r' before it is kept). The view lives until the next
    /// call. `had_newline` is false only for a last line that ends without '\n'.
    status next(std::string_view& text, bool& had_newline);

  private:
    std::FILE* in_;
    std::size_t max_line_;
    std::vector<char> buf_;
    std::size_t begin_ = 0;    // first unread byte
    std::size_t end_ = 0;      // one past the last byte read
    std::size_t scanned_ = 0;  // bytes from begin_ known to hold no '\n'
    bool eof_ = false;
};

/// Output through a large buffer written with fwrite. Not thread-safe; owns no FILE.
/// Write errors are sticky: ok() turns false and later writes are dropped.
class output_buffer {
  public:
    explicit output_buffer(std::FILE* out, std::size_t capacity = 1u << 20);
    ~output_buffer();  // flushes (errors are then only visible through ok() before destruction)
    output_buffer(const output_buffer&) = delete;
    output_buffer& operator=(const output_buffer&) = delete;

    void put(std::string_view s) {
        if (s.size() <= capacity_ - size_) {
            s.copy(buf_.data() + size_, s.size());
            size_ += s.size();
        } else {
            put_slow(s);
        }
    }
    void put(char c) {
        if (size_ == capacity_) flush_buffer();
        buf_[size_++] = c;
    }
    /// `s` as a JSON string, quotes included: '"', '\\' and control bytes escaped, other bytes
    /// copied (callers pass printable ASCII or UTF-8 that came from a JSON parser).
    void put_json_string(std::string_view s);
    void put_uint(unsigned long long v);

    /// Writes the buffer and fflushes the FILE. Returns ok().
    bool flush();
    bool ok() const noexcept { return ok_; }

  private:
    void put_slow(std::string_view s);
    void flush_buffer();

    std::FILE* out_;
    std::vector<char> buf_;
    std::size_t capacity_;
    std::size_t size_ = 0;
    bool ok_ = true;
};

/// Appends `s` to `out` as a JSON string (same escaping as output_buffer::put_json_string).
void append_json_string(std::string& out, std::string_view s);

/// `v` as indented JSON (2 spaces), ending with a newline. Key order is kept.
std::string pretty_json(const boost::json::value& v);

}  // namespace imgstore::cli

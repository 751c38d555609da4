#include "backfill_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "cli_io.hpp"

namespace imgstore::cli {
namespace {

constexpr std::size_t max_journal_line = 64u << 20;

std::string errno_text(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

void append_nullable(std::string& out, const std::optional<std::string>& s) {
    if (s) {
        append_json_string(out, *s);
    } else {
        out += "null";
    }
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool read_all_at(int fd, std::uint64_t offset, std::string& out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n =
            ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// The string member `key`, or nullptr when absent or not a string.
const boost::json::string* string_member(const boost::json::object& o, std::string_view key) {
    const boost::json::value* v = o.if_contains(key);
    return v != nullptr ? v->if_string() : nullptr;
}

// Fills `e` from a parsed line; false when the shape is wrong.
bool entry_of(const boost::json::value& v, journal_entry& e) {
    const boost::json::object* o = v.if_object();
    if (o == nullptr) return false;
    const boost::json::value* id = o->if_contains("id");
    if (id == nullptr || !id->is_int64()) return false;
    e.id = id->as_int64();
    const auto* status = string_member(*o, "status");
    const auto* old_value = string_member(*o, "old_value");
    const auto* new_value = string_member(*o, "new_value");
    if (status == nullptr || old_value == nullptr || new_value == nullptr) return false;
    e.status = *status;
    e.old_value = *old_value;
    e.new_value = *new_value;
    for (auto [key, target] : {std::pair{"old_meta", &e.old_meta}, {"new_meta", &e.new_meta}}) {
        const boost::json::value* m = o->if_contains(key);
        if (m == nullptr) return false;
        if (m->is_null()) {
            target->reset();
        } else if (const auto* s = m->if_string()) {
            *target = std::string(*s);
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

// ---- writer ---------------------------------------------------------------------------------

std::string journal_writer::open(const std::string& path, journal_writer& out) {
    const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return errno_text("cannot open", path);
    journal_writer w;
    w.fd_ = fd;
    w.path_ = path;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno_text("cannot stat", path);
    if (st.st_size > 0) {
        char last = '\n';
        if (::pread(fd, &last, 1, st.st_size - 1) != 1) return errno_text("cannot read", path);
        if (last != '\n' && !write_all(fd, "\n")) return errno_text("cannot write", path);
    }
    // The file itself must survive a crash before the first batch commits.
    if (::fsync(fd) != 0) return errno_text("cannot fsync", path);
    out = std::move(w);
    return {};
}

journal_writer::journal_writer(journal_writer&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

journal_writer& journal_writer::operator=(journal_writer&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

journal_writer::~journal_writer() {
    if (fd_ >= 0) ::close(fd_);
}

std::string journal_writer::append(std::span<const glance_db::row_update> updates,
                                   const std::vector<bool>& applied) {
    line_.clear();
    for (std::size_t i = 0; i < updates.size(); ++i) {
        if (!applied[i]) continue;
        const glance_db::row_update& u = updates[i];
        line_ += "{\"id\": ";
        line_ += std::to_string(u.id);
        line_ += ", \"status\": ";
        append_json_string(line_, u.old_status);
        line_ += ", \"old_value\": ";
        append_json_string(line_, u.old_value);
        line_ += ", \"old_meta\": ";
        append_nullable(line_, u.old_meta);
        line_ += ", \"new_value\": ";
        append_json_string(line_, u.new_value);
        line_ += ", \"new_meta\": ";
        append_nullable(line_, u.new_meta);
        line_ += "}\n";
    }
    if (line_.empty()) return {};
    if (!write_all(fd_, line_)) return errno_text("cannot write", path_);
    if (::fdatasync(fd_) != 0) return errno_text("cannot fsync", path_);
    return {};
}

// ---- reader ---------------------------------------------------------------------------------

std::string journal_reader::open(const std::string& path, journal_reader& out) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return errno_text("cannot open", path);
    journal_reader r;
    r.fd_ = ::dup(::fileno(f));
    r.path_ = path;
    std::string error;
    {
        line_reader in(f, max_journal_line);
        std::string_view line;
        bool newline = false;
        std::uint64_t offset = 0;
        for (std::uint64_t number = 1; error.empty(); ++number) {
            const auto st = in.next(line, newline);
            if (st == line_reader::status::end) break;
            if (st == line_reader::status::error) {
                error = errno_text("cannot read", path);
                break;
            }
            if (st == line_reader::status::partial) {
                error = path + " line " + std::to_string(number) + ": line too long";
                break;
            }
            const std::uint64_t start = offset;
            offset += line.size() + (newline ? 1u : 0u);
            if (line.empty()) continue;
            boost::system::error_code ec;
            const boost::json::value v = boost::json::parse(line, ec);
            if (ec) {  // torn by a kill while writing: its batch never committed
                ++r.torn_;
                continue;
            }
            journal_entry e;
            if (!entry_of(v, e)) {
                error = path + " line " + std::to_string(number) +
                        ": not a journal entry of imgstore backfill";
                break;
            }
            r.lines_.push_back({start, static_cast<std::uint32_t>(line.size()), number});
        }
    }
    std::fclose(f);
    if (!error.empty()) return error;
    if (r.fd_ < 0) return errno_text("cannot open", path);
    r.remaining_ = r.lines_.size();
    out = std::move(r);
    return {};
}

journal_reader::journal_reader(journal_reader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      lines_(std::move(other.lines_)),
      remaining_(other.remaining_),
      torn_(other.torn_) {}

journal_reader& journal_reader::operator=(journal_reader&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        lines_ = std::move(other.lines_);
        remaining_ = other.remaining_;
        torn_ = other.torn_;
    }
    return *this;
}

journal_reader::~journal_reader() {
    if (fd_ >= 0) ::close(fd_);
}

std::string journal_reader::next(std::size_t limit, std::vector<journal_entry>& out) {
    out.clear();
    std::string text;
    while (out.size() < limit && remaining_ > 0) {
        const line_span& l = lines_[--remaining_];
        text.resize(l.length);
        if (!read_all_at(fd_, l.offset, text)) return errno_text("cannot read", path_);
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(text, ec);
        journal_entry e;
        if (ec || !entry_of(v, e)) {  // the file changed since open()
            return path_ + " line " + std::to_string(l.number) + ": changed while being read";
        }
        out.push_back(std::move(e));
    }
    return {};
}

}  // namespace imgstore::cli

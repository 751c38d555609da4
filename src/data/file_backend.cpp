// The filesystem store's data plane (glance_store/_drivers/filesystem.py: get, add, delete).
// Every location is checked by the registry's resolver (it must belong to this store, with the
// resolver's canonical rules) and then opened below the datadir that owns it one component at a
// time with O_NOFOLLOW, so no symlink below a datadir is followed and a check cannot be raced.
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <random>
#include <vector>

#include "data/backends.hpp"
#include "data/range.hpp"
#include "detail/scheme_table.hpp"
#include "detail/text.hpp"
#include "imgstore/data/hashing.hpp"

namespace imgstore::data::detail {
namespace {

// Owns a file descriptor.
class file_descriptor {
  public:
    file_descriptor() = default;
    explicit file_descriptor(int fd) noexcept : fd_(fd) {}
    file_descriptor(file_descriptor&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    file_descriptor& operator=(file_descriptor&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~file_descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

// What an errno means for a caller of the data plane.
errc errc_from_errno(int e) noexcept {
    switch (e) {
        case ENOENT:
            return errc::not_found;
        case EACCES:
        case EPERM:
        case EROFS:
            return errc::permission_denied;
        case ELOOP:    // a symlink where O_NOFOLLOW forbids one
        case ENOTDIR:  // a file where a directory should be
        case EISDIR:
            return errc::forbidden_location;
        case ENOSPC:
        case EFBIG:
        case EDQUOT:
            return errc::storage_full;
        default:
            return errc::io_error;
    }
}

boost::system::error_code last_error() noexcept { return make_error_code(errc_from_errno(errno)); }

template <class F>
auto retry_eintr(F f) {
    decltype(f()) r;
    do {
        r = f();
    } while (r < 0 && errno == EINTR);
    return r;
}

// A location inside one datadir: the datadir's index and the decoded path segments below it.
struct file_path {
    std::size_t dir = 0;
    std::vector<std::string> segments;  // never empty, no '.', '..', '/' or NUL
};

struct datadir_entry {
    std::string path;
    std::int64_t priority = 0;
    std::string location_path;  // the canonical prefix's path, "/dir/" (of "file:///dir/")
};

class file_reader final : public reader {
  public:
    file_reader(file_descriptor fd, extent e, std::size_t chunk_size)
        : reader(e, chunk_size), fd_(std::move(fd)), position_(e.offset) {}

  private:
    result<std::size_t> read_some(std::span<std::byte> out) override {
        ssize_t n = retry_eintr([&] {
            return ::pread(fd_.get(), out.data(), out.size(), static_cast<off_t>(position_));
        });
        if (n < 0) return make_error_code(errc::io_error);
        position_ += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
    }

    file_descriptor fd_;
    std::uint64_t position_;
};

// Removes a temporary file unless released (also when an exception unwinds an add).
class temp_file_guard {
  public:
    temp_file_guard(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
    ~temp_file_guard() {
        if (!name_.empty()) ::unlinkat(dir_fd_, name_.c_str(), 0);
    }
    temp_file_guard(const temp_file_guard&) = delete;
    temp_file_guard& operator=(const temp_file_guard&) = delete;
    const std::string& name() const noexcept { return name_; }

  private:
    int dir_fd_;
    std::string name_;
};

// Glance image ids are UUIDs; anything that names one file in a directory, is not hidden (our
// temporary files start with '.') and needs no percent-encoding in the location URL is taken.
bool valid_image_id(std::string_view id) {
    if (id.empty() || id.size() > 255 || id.front() == '.') return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

std::optional<std::int64_t> raw_integer(const store& s, std::string_view option) {
    auto values = s.raw_option(option);
    if (values.empty()) return std::nullopt;
    std::string_view text = ::imgstore::detail::trim(values.back().reveal());
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

class file_backend final : public backend {
  public:
    file_backend(const backend_context& c, std::vector<datadir_entry> dirs)
        : store_(c.config),
          resolver_(c.resolver),
          hashing_algorithm_(c.options.hashing_algorithm),
          logger_(c.options.logger),
          dirs_(std::move(dirs)) {}

    // Settings read by make_file_backend.
    std::size_t chunk_size = 65536;
    std::optional<mode_t> file_mode;  // filesystem_store_file_perm > 0

    const store& config() const noexcept override { return store_; }

    result<std::unique_ptr<reader>> get(std::string_view url,
                                        const byte_range& range) const override {
        auto path = locate(url);
        if (!path) return path.error();
        auto fd = open_file(*path);
        if (!fd) return fd.error();
        struct stat st {};
        if (::fstat(fd->get(), &st) != 0) return last_error();
        if (!S_ISREG(st.st_mode)) return make_error_code(errc::forbidden_location);
        auto e = resolve_range(range, static_cast<std::uint64_t>(st.st_size));
        if (!e) return e.error();
        return std::make_unique<file_reader>(std::move(*fd), *e, chunk_size);
    }

    result<add_result> add(std::string_view image_id,
                           source& data,
                           const add_options& options) const override {
        if (!valid_image_id(image_id)) return make_error_code(errc::invalid_image_id);
        auto hasher = image_hasher::make(hashing_algorithm_);
        if (!hasher) return hasher.error();
        auto chosen = choose_datadir(options.expected_size.value_or(0));
        if (!chosen) return chosen.error();
        const datadir_entry& dir = dirs_[*chosen];
        file_descriptor dir_fd(::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        // A missing datadir is the store's problem, not a missing image.
        if (!dir_fd) return errno == ENOENT ? make_error_code(errc::io_error) : last_error();
        const std::string id(image_id);
        struct stat st {};
        if (::fstatat(dir_fd.get(), id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            return make_error_code(errc::duplicate);
        }

        // The data goes to a hidden temporary file beside the target, which appears under the
        // image id only once complete and synced.
        std::uint64_t nonce = std::random_device{}();
        nonce = (nonce << 32) ^ std::random_device{}();
        std::string temp_name = fmt::format(".{}.{:016x}.tmp", id, nonce);
        file_descriptor out(retry_eintr([&] {
            return ::openat(dir_fd.get(), temp_name.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        }));
        if (!out) return last_error();
        temp_file_guard guard(dir_fd.get(), std::move(temp_name));

        std::vector<std::byte> buffer(chunk_size);
        std::uint64_t written = 0;
        const std::uint64_t limit =
            std::min(options.size_limit, options.expected_size.value_or(options.size_limit));
        for (;;) {
            result<std::size_t> n = data.read(buffer);
            if (!n) return n.error();
            if (*n == 0) break;
            const std::size_t got = std::min(*n, buffer.size());
            if (got > limit - written) return make_error_code(errc::too_large);
            written += got;
            std::span<const std::byte> chunk(buffer.data(), got);
            hasher->update(chunk);
            if (auto w = write_all(out.get(), chunk); !w) return w.error();
        }
        if (options.expected_size && written != *options.expected_size) {
            return make_error_code(errc::size_mismatch);
        }
        if (file_mode && ::fchmod(out.get(), *file_mode) != 0) return last_error();
        if (retry_eintr([&] { return ::fsync(out.get()); }) != 0) return last_error();
        // link() never replaces an existing name: an image added meanwhile stays intact.
        if (::linkat(dir_fd.get(), guard.name().c_str(), dir_fd.get(), id.c_str(), 0) != 0) {
            return errno == EEXIST ? make_error_code(errc::duplicate) : last_error();
        }
        ::unlinkat(dir_fd.get(), guard.name().c_str(), 0);
        if (retry_eintr([&] { return ::fsync(dir_fd.get()); }) != 0) return last_error();

        image_hashes hashes = hasher->finish();
        if (logger_) {
            logger_->debug("store '{}': added image {} ({} bytes)", store_.id(), id, written);
        }
        // The new location is written by the store's location class: the datadir's canonical
        // prefix plus the id (upstream writes the raw path; the two differ only for a datadir
        // that needs percent-encoding: doc/data-plane.md, "add").
        auto location =
            store_.format_location(file_location{.scheme = "file", .path = dir.location_path + id});
        if (!location) return location.error();
        return add_result{std::move(*location),
                          written,
                          std::move(hashes.checksum),
                          std::move(hashes.os_hash_algo),
                          std::move(hashes.os_hash_value),
                          std::string(store_.id())};
    }

    result<void> remove(std::string_view url) const override {
        auto path = locate(url);
        if (!path) return path.error();
        auto parent = open_parent(*path);
        if (!parent) return parent.error();
        const std::string& name = path->segments.back();
        struct stat st {};
        if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            return last_error();
        }
        if (!S_ISREG(st.st_mode)) return make_error_code(errc::forbidden_location);
        if (::unlinkat(parent->get(), name.c_str(), 0) != 0) return last_error();
        if (retry_eintr([&] { return ::fsync(parent->get()); }) != 0) return last_error();
        return {};
    }

  private:
    // The datadir and segments of a location of this store. The resolver applies the one set
    // of rules (canonical form, no dot or empty segments, no encoded '/' or NUL, the owner
    // among every store's prefixes); the location class must accept it too.
    result<file_path> locate(std::string_view url) const {
        if (!store_.parse_location(url)) return make_error_code(errc::invalid_location);
        std::string scratch;
        resolution r = resolver_.resolve(url, scratch);
        if (r.status == resolve_status::invalid) return make_error_code(errc::invalid_location);
        if (r.status != resolve_status::matched || r.owner != &store_) {
            return make_error_code(errc::forbidden_location);
        }
        // Compare without the scheme: `filesystem://` URLs keep theirs in the canonical form.
        auto split = ::imgstore::detail::split_canonical(r.canonical_url);
        if (!split) return make_error_code(errc::invalid_location);  // (matched: never)
        const std::string_view canonical = split->rest;
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < dirs_.size(); ++i) {
            const std::string& prefix = dirs_[i].location_path;
            if (canonical.starts_with(prefix) &&
                (!best || prefix.size() > dirs_[*best].location_path.size())) {
                best = i;
            }
        }
        if (!best) return make_error_code(errc::forbidden_location);
        file_path out;
        out.dir = *best;
        std::string_view rest = canonical.substr(dirs_[*best].location_path.size());
        while (!rest.empty()) {
            std::size_t slash = rest.find('/');
            auto segment = ::imgstore::detail::percent_decode(rest.substr(0, slash));
            if (!segment || segment->empty() || *segment == "." || *segment == ".." ||
                segment->find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
                return make_error_code(errc::invalid_location);
            }
            out.segments.push_back(std::move(*segment));
            rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        }
        if (out.segments.empty()) return make_error_code(errc::invalid_location);
        return out;
    }

    // The directory holding the last segment, reached without following any symlink below the
    // datadir (the datadir itself may be one: the operator configured it).
    result<file_descriptor> open_parent(const file_path& path) const {
        file_descriptor dir(
            ::open(dirs_[path.dir].path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) return last_error();
        for (std::size_t i = 0; i + 1 < path.segments.size(); ++i) {
            file_descriptor next(::openat(dir.get(), path.segments[i].c_str(),
                                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!next) return last_error();
            dir = std::move(next);
        }
        return dir;
    }

    result<file_descriptor> open_file(const file_path& path) const {
        auto parent = open_parent(path);
        if (!parent) return parent.error();
        // O_NONBLOCK: a fifo planted in the datadir must not block the open.
        file_descriptor fd(retry_eintr([&] {
            return ::openat(parent->get(), path.segments.back().c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        }));
        if (!fd) return last_error();
        return fd;
    }

    // Upstream's _find_best_datadir: the highest priority first; within it the directory with
    // the most free space that can hold `size` bytes (first listed on a tie); a lower priority
    // only when no directory of a higher one has room. Directories on one file system share
    // one reading of its free space: read twice, a concurrent writer would make the tie
    // between them (and so the choice) depend on timing.
    result<std::size_t> choose_datadir(std::uint64_t size) const {
        if (dirs_.size() == 1) return std::size_t{0};
        std::map<std::int64_t, std::vector<std::size_t>, std::greater<>> by_priority;
        for (std::size_t i = 0; i < dirs_.size(); ++i) by_priority[dirs_[i].priority].push_back(i);
        std::map<dev_t, std::uint64_t> free_by_device;
        for (const auto& [priority, members] : by_priority) {
            std::optional<std::size_t> best;
            std::uint64_t best_free = 0;
            for (std::size_t i : members) {
                struct stat st {};
                if (::stat(dirs_[i].path.c_str(), &st) != 0) continue;
                auto [known, fresh] = free_by_device.try_emplace(st.st_dev, 0);
                if (fresh) {
                    struct statvfs vfs {};
                    if (::statvfs(dirs_[i].path.c_str(), &vfs) != 0) {
                        free_by_device.erase(known);
                        continue;
                    }
                    known->second = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
                }
                const std::uint64_t free_bytes = known->second;
                if (free_bytes >= size && free_bytes > best_free) {
                    best_free = free_bytes;
                    best = i;
                }
            }
            if (best) return *best;
        }
        return make_error_code(errc::storage_full);
    }

    static result<void> write_all(int fd, std::span<const std::byte> data) {
        while (!data.empty()) {
            ssize_t n = retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
            if (n < 0) return last_error();
            data = data.subspan(static_cast<std::size_t>(n));
        }
        return {};
    }

    const store& store_;
    const location_resolver& resolver_;
    std::string hashing_algorithm_;
    std::shared_ptr<spdlog::logger> logger_;
    std::vector<datadir_entry> dirs_;
};

void report(const backend_context& c, std::string_view key, std::string message) {
    c.diagnostics.push_back(
        {severity::error, "", 0, std::string(c.config.id()), std::string(key), std::move(message)});
}

}  // namespace

std::unique_ptr<backend> make_file_backend(const backend_context& c) {
    const store& s = c.config;
    std::span<const store_datadir> datadirs = s.datadirs();
    std::span<const std::string> prefixes = s.url_prefixes();
    if (datadirs.empty() || datadirs.size() != prefixes.size()) {
        report(c, "filesystem_store_datadir", "the store has no usable data directory");
        return nullptr;
    }
    std::vector<datadir_entry> dirs;
    for (std::size_t i = 0; i < datadirs.size(); ++i) {
        auto split = ::imgstore::detail::split_canonical(prefixes[i]);  // canonical "file://"
        if (!split) {
            report(c, "filesystem_store_datadir", "the store has no usable data directory");
            return nullptr;
        }
        dirs.push_back({datadirs[i].path, datadirs[i].priority, std::string(split->rest)});
    }
    auto b = std::make_unique<file_backend>(c, std::move(dirs));
    if (auto chunk = raw_integer(s, "filesystem_store_chunk_size"); chunk && *chunk > 0) {
        b->chunk_size = static_cast<std::size_t>(std::min<std::int64_t>(*chunk, 64 << 20));
    }
    // Upstream reads the integer's decimal digits as octal (640 -> 0640) and refuses a mode
    // without the owner's read bit; <= 0 leaves the mode to the umask.
    if (auto perm = raw_integer(s, "filesystem_store_file_perm"); perm && *perm > 0) {
        std::string digits = std::to_string(*perm);
        mode_t mode = 0;
        bool octal = digits.size() <= 4;
        for (char d : digits) {
            octal = octal && d >= '0' && d <= '7';
            mode = static_cast<mode_t>(mode * 8u + static_cast<mode_t>(d - '0'));
        }
        if (!octal) {
            report(c, "filesystem_store_file_perm", "must be an octal file mode such as 640");
            return nullptr;
        }
        if ((mode & S_IRUSR) == 0) {
            report(c, "filesystem_store_file_perm",
                   "must let the owner read the image files (e.g. 600 or 640)");
            return nullptr;
        }
        b->file_mode = mode;
    }
    return b;
}

}  // namespace imgstore::data::detail

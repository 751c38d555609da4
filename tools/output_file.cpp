#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

namespace imgstore::cli {
namespace {

// The temporaries a signal must unlink. Plain atomic pointers: the handler may only read them
// and call unlink(), which is async-signal-safe. A slot is cleared before its string is freed.
constexpr std::size_t max_live_temps = 16;
std::array<std::atomic<const char*>, max_live_temps> live_temps{};
static_assert(std::atomic<const char*>::is_always_lock_free);

constexpr std::array<int, 4> cleanup_signals{SIGINT, SIGTERM, SIGHUP, SIGPIPE};

extern "C" void imgstore_unlink_temps_and_die(int sig) {
    for (auto& slot : live_temps) {
        if (const char* p = slot.load(); p != nullptr) ::unlink(p);
    }
    // Die as the signal would have killed us: default action, unblocked, raised again.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
}

void install_cleanup_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (const int sig : cleanup_signals) {
            struct sigaction old {};
            if (::sigaction(sig, nullptr, &old) != 0) continue;
            // An ignored signal (nohup, a shell's background job) stays ignored.
            if (old.sa_handler == SIG_IGN) continue;
            struct sigaction sa {};
            sa.sa_handler = &imgstore_unlink_temps_and_die;
            ::sigemptyset(&sa.sa_mask);
            for (const int other : cleanup_signals) ::sigaddset(&sa.sa_mask, other);
            ::sigaction(sig, &sa, nullptr);
        }
    });
}

int register_temp(const char* path) {
    for (std::size_t i = 0; i < live_temps.size(); ++i) {
        const char* expected = nullptr;
        if (live_temps[i].compare_exchange_strong(expected, path)) return static_cast<int>(i);
    }
    return -1;
}

void unregister_temp(int slot) {
    if (slot >= 0) live_temps[static_cast<std::size_t>(slot)].store(nullptr);
}

boost::system::error_code errno_code(int e) {
    return {e == 0 ? EIO : e, boost::system::system_category()};
}

// fsync of the directory holding a renamed file, so that the rename itself is durable.
int sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    const int rc = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return rc;
}

}  // namespace

result<output_file> output_file::create(const std::string& path) {
    namespace fs = std::filesystem;
    if (path.empty()) return errno_code(EINVAL);
    install_cleanup_handlers();

    output_file f;
    f.path_ = path;
    f.target_ = path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        std::error_code ec;
        f.target_ = fs::weakly_canonical(path, ec).string();
        if (ec) return errno_code(ec.value());
    }
    const bool exists = ::stat(f.target_.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) return errno_code(errno);
    if (exists && S_ISDIR(st.st_mode)) return errno_code(EISDIR);
    if (exists && !S_ISREG(st.st_mode)) {
        // A device or FIFO: written in place, there is no file to replace.
        f.stream_ = std::fopen(f.target_.c_str(), "wbe");
        if (f.stream_ == nullptr) return errno_code(errno);
        return f;
    }

    const fs::path target(f.target_);
    const std::string dir = target.parent_path().string();
    // Keep the temporary's name within NAME_MAX whatever the target's length.
    const std::string base = target.filename().string().substr(0, 200);
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string name = (dir.empty() ? std::string() : dir + "/") + "." + base + "." +
                           std::to_string(::getpid()) + "." + std::to_string(counter++) +
                           ".imgstore-tmp";
        f.temp_ = std::move(name);
        // Registered before it exists, so that no signal can leave it behind.
        f.slot_ = register_temp(f.temp_.c_str());
        if (f.slot_ < 0) return errno_code(EMFILE);
        const int fd =
            ::open(f.temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? 0600 : 0666);
        if (fd < 0) {
            const int e = errno;
            unregister_temp(std::exchange(f.slot_, -1));
            if (e == EEXIST) continue;
            f.temp_.clear();
            return errno_code(e);
        }
        if (exists) {
            // Best effort for the owner (only root may give a file away); the mode always.
            [[maybe_unused]] const int owned = ::fchown(fd, st.st_uid, st.st_gid);
            if (::fchmod(fd, st.st_mode & 07777) != 0) {
                const int e = errno;
                ::close(fd);
                return errno_code(e);  // the destructor unlinks the temporary
            }
        }
        f.stream_ = ::fdopen(fd, "wb");
        if (f.stream_ == nullptr) {
            const int e = errno;
            ::close(fd);
            return errno_code(e);
        }
        return f;
    }
    f.temp_.clear();
    return errno_code(EEXIST);
}

output_file::output_file(output_file&& other) noexcept
    : path_(std::move(other.path_)),
      target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      stream_(std::exchange(other.stream_, nullptr)),
      slot_(std::exchange(other.slot_, -1)) {
    // The registry points at the string's buffer, which a move of a short string does not keep.
    if (slot_ >= 0) live_temps[static_cast<std::size_t>(slot_)].store(temp_.c_str());
    other.temp_.clear();
}

output_file& output_file::operator=(output_file&& other) noexcept {
    if (this != &other) {
        abandon();
        path_ = std::move(other.path_);
        target_ = std::move(other.target_);
        temp_ = std::move(other.temp_);
        stream_ = std::exchange(other.stream_, nullptr);
        slot_ = std::exchange(other.slot_, -1);
        if (slot_ >= 0) live_temps[static_cast<std::size_t>(slot_)].store(temp_.c_str());
        other.temp_.clear();
    }
    return *this;
}

output_file::~output_file() { abandon(); }

void output_file::release() noexcept {
    unregister_temp(std::exchange(slot_, -1));
    temp_.clear();
}

void output_file::abandon() noexcept {
    if (stream_ != nullptr) std::fclose(std::exchange(stream_, nullptr));
    if (!temp_.empty()) ::unlink(temp_.c_str());
    release();
}

result<void> output_file::commit() {
    std::FILE* s = std::exchange(stream_, nullptr);
    if (s == nullptr) return errno_code(EBADF);
    errno = 0;
    int error = std::fflush(s) != 0 || std::ferror(s) != 0 ? (errno == 0 ? EIO : errno) : 0;
    if (error == 0 && !temp_.empty() && ::fsync(::fileno(s)) != 0) error = errno;
    if (std::fclose(s) != 0 && error == 0) error = errno == 0 ? EIO : errno;
    if (temp_.empty()) {  // written directly: nothing to rename
        if (error != 0) return errno_code(error);
        return {};
    }
    if (error == 0 && ::rename(temp_.c_str(), target_.c_str()) != 0) error = errno;
    if (error != 0) {
        ::unlink(temp_.c_str());
        release();
        return errno_code(error);
    }
    release();  // after the rename: a signal in between finds no file to unlink
    if (const int e = sync_directory(std::filesystem::path(target_).parent_path()); e != 0) {
        return errno_code(e);
    }
    return {};
}

}  // namespace imgstore::cli

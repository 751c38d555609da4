#include "backfill_progress.hpp"

#include <algorithm>
#include <string>

namespace imgstore::cli {

backfill_progress::backfill_progress(bool enabled, std::uint64_t total)
    : enabled_(enabled), total_(total), start_(clock::now()), last_(start_) {}

void backfill_progress::update(std::uint64_t done) {
    if (!enabled_) return;
    const auto now = clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    std::string line = "\rimgstore backfill: " + std::to_string(done);
    if (total_ > 0) {
        const std::uint64_t shown = std::min(done, total_);
        const double fraction = static_cast<double>(shown) / static_cast<double>(total_);
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        line = "\rimgstore backfill [" + std::string(static_cast<std::size_t>(filled), '#') +
               std::string(static_cast<std::size_t>(width - filled), '.') + "] " +
               std::to_string(shown) + "/" + std::to_string(total_) + " rows";
        if (rate > 0) {
            const auto eta = static_cast<std::uint64_t>(static_cast<double>(total_ - shown) / rate);
            line += ", " + std::to_string(static_cast<std::uint64_t>(rate)) + " rows/s, ETA " +
                    std::to_string(eta / 60) + "m" + std::to_string(eta % 60) + "s";
        }
    } else {
        line += " rows, " + std::to_string(static_cast<std::uint64_t>(rate)) + " rows/s";
    }
    line += "\033[K";
    std::fputs(line.c_str(), stderr);
    shown_ = true;
}

void backfill_progress::finish() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
}

}  // namespace imgstore::cli

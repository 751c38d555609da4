// `imgstore backfill`: a progress bar with rate and ETA on stderr, shown only on a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace imgstore::cli {

/// Redraws one stderr line at most 4 times a second. Not thread-safe.
class backfill_progress {
  public:
    /// `enabled`: stderr is a terminal. `total`: rows expected this run (0 when unknown: no bar
    /// and no ETA, only the count and rate).
    backfill_progress(bool enabled, std::uint64_t total);
    /// `done`: rows decided so far in this run.
    void update(std::uint64_t done);
    /// Clears the line (before the summary is printed).
    void finish();

  private:
    using clock = std::chrono::steady_clock;
    bool enabled_;
    bool shown_ = false;
    std::uint64_t total_;
    clock::time_point start_;
    clock::time_point last_;
};

}  // namespace imgstore::cli

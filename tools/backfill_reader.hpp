// `imgstore backfill`: the keyset walk, read one batch ahead of the writer on a server.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "imgstore/glance_db/database.hpp"

namespace imgstore::cli {

/// Hands out the batches of the walk after `after_id`, in id order, then an empty batch.
///
/// Why: on PostgreSQL and MariaDB a batch's read and its compare-and-swap are both server
/// work, one after the other on one connection. With a connection of its own (`own`), a thread
/// reads the next batches while the caller decides and writes the current one, so the server
/// runs the two on two cores. The read-ahead is bounded (two batches) and changes nothing
/// that is decided: every write is still a compare-and-swap against the row as read. Without
/// `own` (SQLite, in this process: a second connection would only contend for its file lock)
/// next() reads on the caller's connection.
///
/// Not thread-safe: one consumer calls next(). The destructor stops the thread (after the query
/// it is running, if any) and joins it.
class batch_reader {
  public:
    batch_reader(glance_db::database& shared,
                 std::optional<glance_db::database> own,
                 std::int64_t after_id,
                 std::size_t limit,
                 const glance_db::row_filter& filter);
    ~batch_reader();
    batch_reader(const batch_reader&) = delete;
    batch_reader& operator=(const batch_reader&) = delete;

    /// The next batch (empty: the walk is over), or the error that ended the walk.
    glance_db::db_result<std::vector<glance_db::location_row>> next();

  private:
    void run();

    using batch = glance_db::db_result<std::vector<glance_db::location_row>>;
    static constexpr std::size_t depth = 2;
    glance_db::database& shared_;
    std::optional<glance_db::database> own_;
    std::int64_t last_id_;
    std::size_t limit_;
    glance_db::row_filter filter_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<batch> ready_;  // guarded by mutex_
    bool stop_ = false;        // guarded by mutex_
    std::thread thread_;
};

}  // namespace imgstore::cli

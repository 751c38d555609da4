// A connection to Glance's own database (SQLite, PostgreSQL or MariaDB/MySQL, through SOCI) and
// the few statements a backfill needs: walk image locations by keyset, re-read one, and save
// edits as compare-and-swap updates in one short transaction. Nothing here knows about stores.
#pragma once

#include <spdlog/fwd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/glance_db/connection.hpp"
#include "imgstore/glance_db/error.hpp"

namespace imgstore::glance_db {

/// How a connection behaves under contention.
struct open_options {
    /// How long one statement waits for a lock before it counts as a transient failure
    /// (SQLite busy timeout, PostgreSQL lock_timeout, MariaDB innodb_lock_wait_timeout rounded
    /// up to whole seconds).
    std::chrono::milliseconds lock_timeout{5000};
    /// Attempts per transaction on deadlocks, serialization failures, lock timeouts and SQLite
    /// busy (the first attempt included); then db_errc::retries_exhausted.
    unsigned max_attempts = 8;
    /// Delay before the first retry; doubled on each further one, with random jitter.
    std::chrono::milliseconds first_backoff{20};
    /// Where retries are reported (warn level, no values); nullptr: nowhere.
    std::shared_ptr<spdlog::logger> logger;
};

/// One open connection. Move-only; not thread-safe (one thread at a time; open one database
/// per thread or process). Closing is the destructor; an open transaction is rolled back.
class database {
  public:
    database(database&&) noexcept;
    database& operator=(database&&) noexcept;
    ~database();

    backend kind() const noexcept;
    /// The spec it was opened with (password included: print only display()/where()).
    const connection_spec& spec() const noexcept;
    /// Transient failures retried so far on this connection (for reports).
    std::uint64_t retries() const noexcept;

    struct impl;  ///< private (src/glance_db/)
    /// For this layer's sources and its tests only.
    impl& internals() noexcept { return *impl_; }

  private:
    explicit database(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
    friend db_result<database> open(const connection_spec&, const open_options&);
};

/// Connects and checks that `images` (id, deleted) and `image_locations` (id, image_id, value,
/// meta_data, status, deleted, updated_at) exist. Errors name spec.where(), never the password:
/// db_errc::connect_failed (unreachable, refused, wrong password: the server's reason is kept,
/// scrubbed of the password), db_errc::not_glance (names the missing table or columns),
/// db_errc::unsupported_driver (this build lacks the backend). SQLite: a missing file is
/// connect_failed (never created: opened read-write without SQLITE_OPEN_CREATE semantics).
[[nodiscard]] db_result<database> open(const connection_spec& spec,
                                       const open_options& options = {});

/// One image_locations row, as stored (value possibly encrypted).
struct location_row {
    std::int64_t id = 0;
    std::string image_id;
    std::string value;
    std::optional<std::string> meta_data;  ///< nullopt: SQL NULL
    std::string status;                    ///< "active" or (when asked) "pending_delete"
    /// Where read_batch found the row on PostgreSQL: the heap page of its ctid (plan_writes
    /// says why it matters). nullopt on SQLite and MariaDB, which update rows in place, and
    /// from read_row. Where a row lives is not part of its value: operator== ignores it.
    std::optional<std::uint32_t> heap_page;

    friend bool operator==(const location_row& a, const location_row& b) {
        return a.id == b.id && a.image_id == b.image_id && a.value == b.value &&
               a.meta_data == b.meta_data && a.status == b.status;
    }
};

/// The ids of the deleted images (images.deleted = true) as one read found them: a walk given
/// them (row_filter::deleted_images) reads image_locations alone and leaves their rows out,
/// instead of looking up every row's image (on PostgreSQL that lookup was four fifths of the
/// walk's server time). Sorted fixed-width records, 36 bytes per id (images.id is
/// VARCHAR(36)). Immutable once loaded: safe to share between threads.
class image_id_set {
  public:
    /// O(log n).
    [[nodiscard]] bool contains(std::string_view image_id) const;
    [[nodiscard]] std::size_t size() const { return ids_.size(); }

  private:
    friend db_result<std::optional<image_id_set>> load_deleted_images(database&, std::size_t);
    std::vector<std::array<char, 36>> ids_;
};

/// Reads the ids of the deleted images; nullopt when there are more than `max_ids` (the walk
/// then looks every row's image up, as without a set). Only for PostgreSQL and MariaDB, where
/// image_locations.image_id is a foreign key (so every row's image exists) and the walk is
/// then as exact as the lookup: Glance soft-deletes an image's locations in the transaction
/// that deletes the image, so a location of an image deleted after this read is no longer
/// walked, or fails its compare-and-swap (deleted = false) like any row changed after it was
/// read. db_errc::invalid_argument on SQLite (no foreign keys enforced by default: orphan
/// rows are possible, and the lookup costs no round trip there). One query; memory
/// O(max_ids).
[[nodiscard]] db_result<std::optional<image_id_set>> load_deleted_images(database& db,
                                                                         std::size_t max_ids);

/// Which rows a walk sees. Always: image_locations.deleted = false, and the image exists with
/// images.deleted = false (as Glance stamps); status 'active', plus 'pending_delete' when asked.
/// Never 'deleted', 'pending', 'uploading' or anything else.
struct row_filter {
    /// When set (load_deleted_images), read_batch leaves out the rows of these images instead
    /// of joining images; it must outlive the walk. count_rows and read_row always join.
    const image_id_set* deleted_images = nullptr;
    bool include_pending_delete = false;
    /// Sharding: a row belongs to shard `id % shard_count == shard_index` (0-based: the CLI's
    /// `--shard K/N` is shard_index K-1, shard_count N). shard_count 1 sees every row.
    unsigned shard_index = 0;
    unsigned shard_count = 1;
};

/// The next at most `limit` rows with id > `after_id`, ascending by id (keyset: `id > :after
/// ORDER BY id LIMIT :n`), so a walk resumes from the last id it saw and never skips or
/// repeats a row present for the whole walk. Empty when the walk is done. Errors:
/// db_errc::query_failed, db_errc::invalid_argument (limit 0, shard_count 0 or
/// shard_index >= shard_count). Cost: one indexed range scan of `limit` rows (more when the
/// filter or shard skips rows; with row_filter::deleted_images, a batch that held only their
/// rows is read past, so one call may run several scans); memory O(limit).
[[nodiscard]] db_result<std::vector<location_row>> read_batch(database& db,
                                                              std::int64_t after_id,
                                                              std::size_t limit,
                                                              const row_filter& filter);

/// Re-reads one row under the same rules as read_batch (the shard is ignored): nullopt when it
/// no longer qualifies (gone, soft-deleted, status changed, image deleted). For deciding again
/// after a compare-and-swap that did not apply.
[[nodiscard]] db_result<std::optional<location_row>> read_row(database& db,
                                                              std::int64_t id,
                                                              const row_filter& filter);

/// Rows read_batch would return over the whole walk (for a progress bar's total and ETA).
/// A full scan: call once per run.
[[nodiscard]] db_result<std::int64_t> count_rows(database& db, const row_filter& filter);

/// One compare-and-swap: the row is changed only if it still holds exactly `old_*` (bytes,
/// NULL-aware) with `deleted = false`; then value, meta_data and updated_at (UTC now) are set.
/// images.updated_at is never touched.
struct row_update {
    std::int64_t id = 0;
    std::string old_value;
    std::optional<std::string> old_meta;  ///< nullopt: expects NULL
    std::string old_status;               ///< expected status, e.g. "active"
    std::string new_value;
    std::optional<std::string> new_meta;     ///< nullopt: writes NULL (undo of a NULL row)
    std::optional<std::uint32_t> heap_page;  ///< the row's location_row::heap_page, if known
};

/// The order in which to write a set of updates, as transactions (plan_writes).
struct write_plan {
    std::vector<std::size_t> order;  ///< indices into the updates, in write order
    std::vector<std::size_t> ends;   ///< transaction t writes order[ends[t-1] (or 0), ends[t])
};

/// How to write `updates` (in walk order) as transactions of at most `max_rows` rows (0 counts
/// as 1). Updates without a heap page (SQLite, MariaDB) keep their order, cut every `max_rows`.
/// Those with one (PostgreSQL) go in rounds: round r takes the r-th update of every page, cut
/// every `max_rows`, so that a transaction updates each page at most once. Why: PostgreSQL
/// writes a new row version for an update, on the same page (a HOT update: no new index
/// entries, a third of the WAL) only when the page has room, and a page written by a bulk load
/// or by Glance (fillfactor 100) has none. The first round moves one row off each page; once
/// its transaction commits, the next statement to touch the page prunes the dead version and
/// frees its space, which the later rounds reuse. On a million rows 77% of the updates stayed
/// on their page instead of 1%, and the table grew by 3,200 pages instead of 13,300
/// (doc/glance-db.md, "Write order"). O(n log n) time, O(n) memory.
[[nodiscard]] write_plan plan_writes(std::span<const row_update> updates, std::size_t max_rows);

/// Called inside the transaction after every update ran and before COMMIT, with which updates
/// applied (same order as the input). Returning an error rolls the transaction back and makes
/// compare_and_swap fail with db_errc::aborted (the hook's message kept). A transaction that is
/// retried calls the hook again for the new attempt, so a journal written from it may hold an
/// attempt that never committed: harmless for an undo that is itself a compare-and-swap.
using before_commit_hook = std::function<db_result<void>(std::span<const row_update> updates,
                                                         const std::vector<bool>& applied)>;

/// Applies `updates` in one transaction as compare-and-swaps (the WHERE holds id, deleted =
/// false, status, value and meta_data; bytes on MariaDB, IS NOT DISTINCT FROM on PostgreSQL,
/// IS on SQLite) and returns, per update in input order, whether it applied. Set-based where a
/// statement costs a round trip: PostgreSQL one UPDATE ... FROM unnest(arrays) RETURNING per
/// call, MariaDB one multi-table UPDATE joined to a JSON_TABLE per 500 rows; SQLite (in-process)
/// one prepared UPDATE executed per row (doc/glance-db.md). Deadlocks, serialization failures,
/// lock timeouts and SQLite busy roll back and retry the whole transaction with backoff
/// (open_options). Errors: db_errc::invalid_argument (an id twice), db_errc::retries_exhausted,
/// db_errc::query_failed, db_errc::aborted; on any error nothing was committed. Empty
/// `updates`: no transaction, empty result.
[[nodiscard]] db_result<std::vector<bool>> compare_and_swap(database& db,
                                                            std::span<const row_update> updates,
                                                            const before_commit_hook& hook = {});

}  // namespace imgstore::glance_db

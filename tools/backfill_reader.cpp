#include "backfill_reader.hpp"

#include <utility>

namespace imgstore::cli {

namespace db = glance_db;

batch_reader::batch_reader(db::database& shared,
                           std::optional<db::database> own,
                           std::int64_t after_id,
                           std::size_t limit,
                           const db::row_filter& filter)
    : shared_(shared), own_(std::move(own)), last_id_(after_id), limit_(limit), filter_(filter) {
    if (own_) thread_ = std::thread([this] { run(); });
}

batch_reader::~batch_reader() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void batch_reader::run() {
    for (;;) {
        batch b = db::read_batch(*own_, last_id_, limit_, filter_);
        // The walk ends with an error or an empty batch; both are handed over as they are.
        const bool last = !b || b->empty();
        if (!last) last_id_ = b->back().id;
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || ready_.size() < depth; });
        if (stop_) return;
        ready_.push_back(std::move(b));
        changed_.notify_all();
        if (last) return;
    }
}

db::db_result<std::vector<db::location_row>> batch_reader::next() {
    if (!own_) {
        batch b = db::read_batch(shared_, last_id_, limit_, filter_);
        if (b && !b->empty()) last_id_ = b->back().id;
        return b;
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty(); });
    // The end (an empty batch or an error) stays queued: asking again gets it again.
    if (!ready_.front() || ready_.front()->empty()) return ready_.front();
    batch b = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return b;
}

}  // namespace imgstore::cli

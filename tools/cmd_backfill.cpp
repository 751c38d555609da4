// imgstore backfill: stamps every legacy location in Glance's own database (issue 13), beside a
// live Glance: keyset walk, one short compare-and-swap transaction per batch, a journal that
// undoes it, a checkpoint that resumes it. Dry run unless --apply. The decisions are the
// library's stamping rules (backfill_decide.hpp); the SQL is imgstore::glance_db's.
#include <unistd.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "backfill_checkpoint.hpp"
#include "backfill_decide.hpp"
#include "backfill_journal.hpp"
#include "backfill_progress.hpp"
#include "backfill_reader.hpp"
#include "backfill_summary.hpp"
#include "cli_common.hpp"
#include "cli_io.hpp"
#include "imgstore/glance_db/glance_db.hpp"
#include "imgstore/resolver.hpp"
#include "output_file.hpp"
#include "volume_types.hpp"

namespace imgstore::cli {
namespace {

namespace db = glance_db;

/// `--verify` found rows that still need a store and resolve to one.
constexpr int exit_verify = 5;
/// Rows decided again after a compare-and-swap lost a race, before giving up on the row.
constexpr int max_decisions_per_row = 3;
constexpr std::size_t max_batch = 10'000;

struct backfill_args {
    std::string connection;
    bool apply = false;
    std::size_t batch = 500;
    std::string shard;
    std::string changes;
    std::string journal;
    std::string undo;
    std::string resume;
    std::string report;
    std::string volume_types_file;
    bool restamp_unknown = false;
    bool include_pending_delete = false;
    bool verify = false;
    double rate = 0;
};

void say(const std::string& text) { std::fprintf(stderr, "imgstore backfill: %s\n", text.c_str()); }

// `--shard K/N` (1 <= K <= N <= 4096) into the 0-based filter fields.
bool parse_shard(const std::string& text, db::row_filter& filter) {
    unsigned k = 0;
    unsigned n = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%u/%u%c", &k, &n, &tail) != 2 || k < 1 || n < 1 || k > n ||
        n > 4096 || text.find_first_not_of("0123456789/") != std::string::npos)
        return false;
    filter.shard_index = k - 1;
    filter.shard_count = n;
    return true;
}

// Where the run's settings come from, resolved once.
struct backfill_setup {
    std::shared_ptr<const store_registry> registry;
    std::optional<location_resolver> resolver;
    volume_types types;
    std::optional<db::location_cipher> cipher;
    db::connection_spec spec;
    db::row_filter filter;
    backfill_rules rules;
    std::string fingerprint;
};

// The flags that are out of range or contradict each other: the message (exit_usage), or
// empty. Sets the shard of `filter`.
std::string usage_problem(const backfill_args& args, db::row_filter& filter) {
    if (!args.shard.empty() && !parse_shard(args.shard, filter)) {
        return "--shard: expected K/N with 1 <= K <= N <= 4096";
    }
    if (args.batch < 1 || args.batch > max_batch) {
        return "--batch: expected 1 to " + std::to_string(max_batch) + " rows";
    }
    if (!args.journal.empty() && !args.apply) {
        return "--journal records what --apply writes: give --apply too (a dry run writes "
               "nothing)";
    }
    if (!args.undo.empty() && (!args.resume.empty() || args.verify || args.restamp_unknown)) {
        return "--undo restores a journal: --resume, --verify and --restamp-unknown do not apply";
    }
    return {};
}

// The connection URL and the encryption key from the config (the last occurrence wins, as in
// oslo.config) or --connection. Returns an exit status with its message in `problem`, or -1
// to go on. Prints nothing: the database is a file of the run, checked only once this is known.
int read_database_settings(const common_options& common,
                           const backfill_args& args,
                           backfill_setup& s,
                           std::string& key_text,
                           std::string& problem) {
    const config_load c = read_config(sources_of(common));  // its problems: the registry load's
    std::string url = args.connection;
    std::string where = "--connection";
    if (url.empty()) {
        const config_entry* e = c.config.last("database", "connection");
        if (e == nullptr || e->value.empty()) {
            problem = "no [database] connection in the configuration; give --connection URL";
            return exit_config;
        }
        url = e->value;
        where = e->file + ":" + std::to_string(e->line) + ": [database] connection";
    }
    auto spec = db::parse_connection_url(url);
    if (!spec) {
        problem = where + ": " + spec.error().message;
        return args.connection.empty() ? exit_config : exit_usage;
    }
    s.spec = std::move(*spec);
    if (const config_entry* e = c.config.last("DEFAULT", "metadata_encryption_key");
        e != nullptr && !e->value.empty()) {
        auto cipher = db::location_cipher::create(secret(e->value));
        if (!cipher) {
            problem = e->file + ":" + std::to_string(e->line) +
                      ": [DEFAULT] metadata_encryption_key: " + cipher.error().message;
            return exit_config;
        }
        s.cipher.emplace(std::move(*cipher));
        key_text = e->value;
    }
    return -1;
}

// A SQLite database is read and written (and the checks run before it is opened: a dry run
// opens it too), and so are the files SQLite keeps beside it, named after the path with links
// resolved: an output there would be replaced or unlinked under SQLite. A server's database is
// no file of the run.
void add_database_files(file_set& files, const db::connection_spec& spec, std::string_view flag) {
    if (spec.kind != db::backend::sqlite || spec.database.empty()) return;
    files.add_output(flag, spec.database);
    std::error_code ec;
    const std::string real = std::filesystem::weakly_canonical(spec.database, ec).string();
    if (ec) return;
    for (std::string_view suffix : {"-journal", "-wal", "-shm"}) {
        files.add_output(std::string(flag) + "'s SQLite " + std::string(suffix) + " file",
                         real + std::string(suffix));
    }
}

// What a checkpoint must agree with before a run may resume from it: the effective stores, the
// volume types, the flags that change decisions or the walk, the database and the key.
std::string fingerprint_of(const backfill_setup& s,
                           const backfill_args& args,
                           const std::string& key_text) {
    std::string d = to_string(*s.registry);
    d += "\nvolume-types\n";
    if (!args.volume_types_file.empty()) {
        std::FILE* f = std::fopen(args.volume_types_file.c_str(), "rb");
        if (f != nullptr) {
            char buf[4096];
            std::size_t n = 0;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) d.append(buf, n);
            std::fclose(f);
        }
    }
    d += "\nflags " + std::to_string(args.apply) + std::to_string(args.restamp_unknown) +
         std::to_string(args.include_pending_delete) + " shard " +
         std::to_string(s.filter.shard_index) + "/" + std::to_string(s.filter.shard_count);
    d += "\ndatabase " + s.spec.display();
    d += "\nkey " + backfill_fingerprint(key_text);
    return backfill_fingerprint(d);
}

// --changes: one JSON line per decision, written to a temporary renamed into place at the end.
class changes_writer {
  public:
    std::string open(const std::string& path) {
        if (path.empty()) return {};
        auto f = output_file::create(path);
        if (!f) return "cannot write " + path + ": " + f.error().message();
        file_.emplace(std::move(*f));
        out_.emplace(file_->stream());
        return {};
    }
    bool enabled() const { return file_.has_value(); }

    void decision(const db::location_row& row, const row_decision& d) {
        if (!out_) return;
        line_ = "{\"id\": " + std::to_string(row.id) + ", \"image_id\": ";
        append_json_string(line_, row.image_id);
        line_ += ", \"url\": ";
        append_json_string(line_, d.url);
        line_ += ", \"outcome\": ";
        append_json_string(line_, to_string(d.outcome));
        line_ += ", \"reason\": ";
        if (d.reason != reason_code::none) {
            append_json_string(line_, to_string(d.reason));
        } else if (!d.detail.empty()) {
            append_json_string(line_, d.detail);
        } else {
            line_ += "null";
        }
        line_ += ", \"old_store\": ";
        nullable(d.old_store);
        line_ += ", \"store\": ";
        nullable(d.store);
        line_ += ", \"old_meta\": ";
        nullable(row.meta_data);
        line_ += ", \"new_meta\": ";
        nullable(d.update ? d.update->new_meta : std::nullopt);
        if (!d.new_url.empty()) {
            line_ += ", \"new_url\": ";
            append_json_string(line_, d.new_url);
        }
        line_ += "}\n";
        out_->put(line_);
    }

    void undo(const journal_entry& e, std::string_view outcome) {
        if (!out_) return;
        line_ = "{\"id\": " + std::to_string(e.id) + ", \"outcome\": ";
        append_json_string(line_, outcome);
        line_ += ", \"old_meta\": ";
        nullable(e.new_meta);
        line_ += ", \"new_meta\": ";
        nullable(e.old_meta);
        line_ += "}\n";
        out_->put(line_);
    }

    std::string commit() {
        if (!file_) return {};
        out_->flush();
        out_.reset();
        auto r = file_->commit();
        if (!r) return "cannot write " + file_->path() + ": " + r.error().message();
        return {};
    }

  private:
    void nullable(const std::optional<std::string>& s) {
        if (s) {
            append_json_string(line_, *s);
        } else {
            line_ += "null";
        }
    }
    void nullable(const std::string& s) {
        if (s.empty()) {
            line_ += "null";
        } else {
            append_json_string(line_, s);
        }
    }

    std::optional<output_file> file_;
    std::optional<output_buffer> out_;
    std::string line_;
};

// Sleeps so that `rows` rows since `start` do not exceed `rate` rows per second.
void pace(double rate, std::uint64_t rows, std::chrono::steady_clock::time_point start) {
    if (rate <= 0) return;
    const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(rows) / rate));
    std::this_thread::sleep_until(due);
}

struct pass_result {
    int status = exit_ok;
    backfill_counters counters;
};

// A failure of the database layer: its message names host and database, never a password.
pass_result db_failure(const db::db_error& e) {
    say(e.message);
    return {exit_input, {}};
}

// Saves `updates` as one compare-and-swap transaction; the journal is appended and fsynced
// before it commits. `applied` receives, per update, whether it applied.
// `journal_mutex`, when given, is held while the journal is appended (several writers).
std::optional<db::db_error> save(db::database& database,
                                 std::span<const db::row_update> updates,
                                 journal_writer* journal,
                                 std::vector<bool>& applied,
                                 std::mutex* journal_mutex = nullptr) {
    db::before_commit_hook hook;
    if (journal != nullptr) {
        hook = [journal, journal_mutex](std::span<const db::row_update> u,
                                        const std::vector<bool>& ok) -> db::db_result<void> {
            std::unique_lock<std::mutex> lock;
            if (journal_mutex != nullptr) lock = std::unique_lock(*journal_mutex);
            if (std::string e = journal->append(u, ok); !e.empty()) {
                return db::db_error{make_error_code(db::db_errc::aborted), "--journal: " + e};
            }
            return {};
        };
    }
    auto r = db::compare_and_swap(database, updates, hook);
    if (!r) return r.error();
    applied = std::move(*r);
    return std::nullopt;
}

// One walk over the rows: decide each, and with `apply` save the stamped ones.
// How one walk runs: whether it writes, and where it records what it did.
struct pass_options {
    bool apply = false;
    journal_writer* journal = nullptr;        // --journal, appended before each commit
    changes_writer* changes = nullptr;        // --changes
    std::string checkpoint;                   // --resume, saved after each batch
    std::optional<backfill_checkpoint> from;  // where a resumed walk starts
};

// The rows decided since the last checkpoint: one window of the walk, written as one or more
// transactions of at most --batch rows (db::plan_writes), then checkpointed. The decisions
// kept are those with an update; a row that needs no write is only counted. With --changes,
// every row and its decision are kept (to be recorded).
struct pending_group {
    std::vector<db::location_row> rows;  // with --changes: the row of each decision
    std::vector<row_decision> decisions;
    std::vector<db::row_update> updates;
    std::vector<std::size_t> update_of;       // index into decisions (and rows)
    std::unordered_set<std::uint32_t> pages;  // the heap pages of `updates` (PostgreSQL)
    backfill_counters settled;                // the rows not kept, and the retries
    std::size_t row_count = 0;                // every row of the window
    std::int64_t last_id = 0;

    bool empty() const { return row_count == 0; }
    void clear() {
        rows.clear();
        decisions.clear();
        updates.clear();
        update_of.clear();
        pages.clear();
        settled = {};
        row_count = 0;
    }

    // Puts the updates (and update_of) in the order `plan` writes them.
    void reorder(const db::write_plan& plan) {
        std::vector<db::row_update> u;
        std::vector<std::size_t> of;
        u.reserve(updates.size());
        of.reserve(updates.size());
        for (std::size_t i : plan.order) {
            u.push_back(std::move(updates[i]));
            of.push_back(update_of[i]);
        }
        updates = std::move(u);
        update_of = std::move(of);
    }
};

// How far a window reaches. Where rows carry no heap page (SQLite, MariaDB), --batch updates:
// one transaction. Where they do (PostgreSQL), until the updates cover --batch pages, so that
// every round of plan_writes fills a transaction, or reach max_rounds x --batch (memory: a
// window's rows, decisions and updates are held until its checkpoint). Rows that need no write
// ride along, up to max_batches_per_round read batches per round, so that a walk over stamped
// rows still checkpoints and reports progress regularly; with --changes, which keeps them, a
// window holds at most max_rounds x --batch rows.
// (16: a window of 8,000 updates is about 9 MiB; three are held, one read and decided while
// two are written. 8 rounds took about half again as long on PostgreSQL, 32 gained nothing:
// doc/history.md.)
constexpr std::size_t max_rounds = 16;
constexpr std::size_t max_batches_per_round = 4;

/// More deleted images than this, and the walk looks every row's image up instead.
constexpr std::size_t max_deleted_images = 100'000;

// Another connection to a database server, for the reader thread (batch_reader says why) or a
// second writer; none for SQLite (in this process: a second connection would only contend
// for its file lock), nor when it cannot be opened (the work then stays on the first).
std::optional<db::database> another_connection(const db::database& database) {
    if (database.kind() == db::backend::sqlite) return std::nullopt;
    auto own = db::open(database.spec());
    if (!own) return std::nullopt;
    return std::move(*own);
}

pass_result run_pass(db::database& database,
                     const backfill_setup& s,
                     const backfill_args& args,
                     const pass_options& p) {
    const bool apply = p.apply;
    journal_writer* const journal = p.journal;
    const auto& from = p.from;
    pass_result out;
    std::int64_t last_id = 0;
    if (from) {
        last_id = from->last_id;
        out.counters = from->counters;
    }
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    std::uint64_t total = 0;
    if (terminal) {
        auto n = db::count_rows(database, s.filter);
        if (n) total = static_cast<std::uint64_t>(*n);
    }
    backfill_progress progress(terminal, total);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t rows_this_run = 0;
    const bool keep_every_row = p.changes != nullptr && p.changes->enabled();
    std::mutex journal_mutex;  // the writers append in turn
    pending_group g;           // the window being filled

    // A row another writer changed since we read it: read it again and decide again, up to
    // max_decisions_per_row times, on the connection `conn` that wrote it.
    const auto decide_again = [&](db::database& conn, pending_group& w,
                                  std::size_t u) -> std::optional<db::db_error> {
        row_decision& d = w.decisions[w.update_of[u]];
        const std::int64_t id = w.updates[u].id;
        d.outcome = backfill_outcome::changed_concurrently;
        for (int attempt = 1; attempt < max_decisions_per_row; ++attempt) {
            ++w.settled.retries;
            auto again = db::read_row(conn, id, s.filter);
            if (!again) return again.error();
            if (!*again) {
                d = row_decision{};
                d.outcome = backfill_outcome::no_longer_eligible;
                break;
            }
            d = decide_row(**again, s.rules);
            if (keep_every_row) w.rows[w.update_of[u]] = std::move(**again);
            if (!d.update) break;
            std::vector<bool> one;
            if (auto e = save(conn, std::span(&*d.update, 1), journal, one, &journal_mutex)) {
                return e;
            }
            if (one.front()) break;
            d.outcome = backfill_outcome::changed_concurrently;
            d.update.reset();
        }
        return std::nullopt;
    };

    // Writes window `w` on `conn`: plan_writes' transactions, each a compare-and-swap, then the
    // rows that lost a race decided again. --rate paces every transaction (`base`: the rows
    // walked before the window). Touches nothing but `w`, `conn` and the journal (under its
    // mutex), so that several windows can be written at once.
    const auto write_window = [&](db::database& conn, pending_group& w,
                                  std::uint64_t base) -> std::optional<db::db_error> {
        const db::write_plan plan = db::plan_writes(w.updates, args.batch);
        w.reorder(plan);
        std::vector<bool> applied;
        std::size_t begin = 0;
        for (std::size_t end : plan.ends) {
            const auto tx = std::span<const db::row_update>(w.updates).subspan(begin, end - begin);
            if (auto e = save(conn, tx, journal, applied, &journal_mutex)) return e;
            for (std::size_t u = begin; u < end; ++u) {
                if (applied[u - begin]) {
                    w.decisions[w.update_of[u]].update = std::move(w.updates[u]);
                } else if (auto e = decide_again(conn, w, u)) {
                    return e;
                }
            }
            begin = end;
            pace(args.rate, base + w.row_count * end / w.updates.size(), start);
        }
        return std::nullopt;
    };

    // Records a written window, in walk order: every decision, then the checkpoint (after it,
    // every row up to the window's last is committed or needs nothing).
    const auto finish_window = [&](pending_group& w) -> std::optional<pass_result> {
        for (std::size_t i = 0; i < w.decisions.size(); ++i) {
            out.counters.add(w.decisions[i]);
            if (keep_every_row) p.changes->decision(w.rows[i], w.decisions[i]);
        }
        out.counters.merge(w.settled);
        last_id = w.last_id;
        rows_this_run += w.row_count;
        if (!p.checkpoint.empty()) {
            backfill_checkpoint c{s.fingerprint, last_id, out.counters};
            if (std::string e = save_checkpoint(p.checkpoint, c); !e.empty()) {
                say("--resume: " + e);
                return pass_result{exit_input, out.counters};
            }
        }
        progress.update(out.counters.rows);
        pace(args.rate, rows_this_run, start);
        return std::nullopt;
    };

    // On a server the walk skips the rows of deleted images instead of looking each row's
    // image up (load_deleted_images says why that is as exact), when they are few enough to
    // hold: 3.4 MiB at most.
    db::row_filter filter = s.filter;
    std::optional<db::image_id_set> deleted_images;
    if (database.kind() != db::backend::sqlite) {
        auto loaded = db::load_deleted_images(database, max_deleted_images);
        if (!loaded) return db_failure(loaded.error());
        deleted_images = std::move(*loaded);
        if (deleted_images) filter.deleted_images = &*deleted_images;
    }

    // On a server the reader has a connection of its own, and windows are written on threads
    // of their own, each on its own connection, while this thread reads and decides the next:
    // the server reads and writes on every core. Windows are recorded in walk order, on this
    // thread. Two writers unless --rate (one paced writer), a dry run (no writes), or a second
    // connection fails. SQLite (one connection, in this process) writes in turn.
    std::optional<db::database> own = another_connection(database);
    std::vector<db::database*> connections{&database};
    std::optional<db::database> second_writer;
    if (own && apply && args.rate <= 0) {
        second_writer = another_connection(database);
        if (second_writer) connections.push_back(&*second_writer);
    }
    struct in_flight {
        pending_group window;
        db::database* conn = nullptr;
        std::future<std::optional<db::db_error>> written;
    };
    std::deque<in_flight> writing;  // oldest first; at most connections.size()
    // Waits for the oldest window being written and records it.
    const auto finish_oldest = [&]() -> std::optional<pass_result> {
        std::optional<db::db_error> e = writing.front().written.get();
        std::optional<pass_result> r =
            e ? std::optional<pass_result>{db_failure(*e)} : finish_window(writing.front().window);
        writing.pop_front();
        return r;
    };
    // Hands window `g` to a free writer (after recording the oldest, when all are busy).
    const auto commit_group = [&]() -> std::optional<pass_result> {
        if (g.empty()) return std::nullopt;
        if (!own) {
            if (auto e = write_window(database, g, rows_this_run)) return db_failure(*e);
            auto r = finish_window(g);
            g.clear();
            return r;
        }
        if (writing.size() == connections.size()) {
            if (auto r = finish_oldest()) return r;
        }
        db::database* conn = connections.front();
        for (db::database* c : connections) {
            if (std::none_of(writing.begin(), writing.end(),
                             [c](const in_flight& f) { return f.conn == c; })) {
                conn = c;
                break;
            }
        }
        std::uint64_t base = rows_this_run;
        for (const in_flight& f : writing) base += f.window.row_count;
        in_flight& f = writing.emplace_back();
        f.window = std::move(g);
        f.conn = conn;
        g = pending_group{};
        f.written = std::async(std::launch::async, [&write_window, &f, base] {
            return write_window(*f.conn, f.window, base);
        });
        return std::nullopt;
    };
    // Every return below first waits for the writers: they use what this frame owns. After a
    // failure the windows still being written are waited for, not recorded: the checkpoint
    // stays before them, and a resumed run decides their rows again.
    const auto finish = [&](std::optional<pass_result> r) -> pass_result {
        while (!writing.empty()) {
            if (r) {
                writing.front().written.wait();
                writing.pop_front();
            } else {
                r = finish_oldest();
            }
        }
        return r ? *r : out;
    };

    batch_reader reader(database, std::move(own), last_id, args.batch, filter);
    std::size_t rounds = 1;  // max_rounds once the rows carry heap pages
    for (std::size_t batches = 0;;) {
        auto batch = reader.next();
        if (!batch) return finish(db_failure(batch.error()));
        if (batch->empty()) break;
        for (db::location_row& row : *batch) {
            if (row.heap_page) rounds = max_rounds;
            row_decision d = decide_row(row, s.rules);
            const bool writes = apply && d.update;
            if (!writes && !keep_every_row) {
                g.settled.add(d);
                ++g.row_count;
                g.last_id = row.id;
                continue;
            }
            // The window is full: max_rounds x --batch rows kept (memory; only --changes keeps
            // rows that need no write), --batch x rounds updates, or a new page after --batch.
            const std::optional<std::uint32_t> page =
                writes ? d.update->heap_page : std::optional<std::uint32_t>{};
            if (g.decisions.size() == args.batch * max_rounds ||
                (writes && (g.updates.size() == args.batch * rounds ||
                            (page && !g.pages.contains(*page) && g.pages.size() == args.batch)))) {
                if (auto r = commit_group()) return finish(r);
                batches = 0;
            }
            if (writes) {
                g.updates.push_back(std::move(*d.update));  // back into d once written
                d.update.reset();
                g.update_of.push_back(g.decisions.size());
                if (page) g.pages.insert(*page);
            }
            ++g.row_count;
            g.last_id = row.id;
            g.decisions.push_back(std::move(d));
            if (keep_every_row) g.rows.push_back(std::move(row));
        }
        if (++batches >= max_batches_per_round * rounds) {
            if (auto r = commit_group()) return finish(r);
            batches = 0;
        }
    }
    if (auto r = commit_group()) return finish(r);
    if (auto r = finish(std::nullopt); r.status != exit_ok) return r;
    progress.finish();
    return out;
}

// --undo F: restores, newest entry first, every row that still holds what the journal says was
// written; a row changed since is left alone and counted.
struct undo_counters {
    std::uint64_t entries = 0;
    std::uint64_t restored = 0;
    std::uint64_t already_restored = 0;
    std::uint64_t changed_since = 0;
};

int run_undo(db::database& database,
             const backfill_args& args,
             journal_writer* journal,
             changes_writer& changes,
             undo_counters& c) {
    journal_reader reader;
    if (std::string e = journal_reader::open(args.undo, reader); !e.empty()) {
        say("--undo: " + e);
        return exit_input;
    }
    if (reader.torn() > 0) {
        say("--undo: " + std::to_string(reader.torn()) +
            " incomplete journal lines skipped (a write interrupted before its batch committed)");
    }
    db::row_filter any_status;
    any_status.include_pending_delete = true;
    std::vector<journal_entry> entries;
    std::vector<db::row_update> updates;
    std::vector<const journal_entry*> update_entry;
    std::unordered_set<std::int64_t> ids;
    std::vector<bool> applied;
    // Rows the compare-and-swap did not restore: already restored, or changed since.
    const auto classify = [&](const journal_entry& e) -> std::optional<db::db_error> {
        auto row = db::read_row(database, e.id, any_status);
        if (!row) return row.error();
        const bool restored =
            *row && (*row)->value == e.old_value && (*row)->meta_data == e.old_meta;
        const bool holds_new =
            *row && (*row)->value == e.new_value && (*row)->meta_data == e.new_meta;
        if (restored) {
            ++c.already_restored;
            changes.undo(e, "already_restored");
        } else if (holds_new && !args.apply) {
            ++c.restored;
            changes.undo(e, "to_restore");
        } else {
            ++c.changed_since;
            changes.undo(e, "changed_since");
        }
        return std::nullopt;
    };
    const auto flush = [&]() -> std::optional<db::db_error> {
        if (updates.empty()) return std::nullopt;
        if (args.apply) {
            if (auto e = save(database, updates, journal, applied)) return e;
        } else {
            applied.assign(updates.size(), false);
        }
        for (std::size_t i = 0; i < updates.size(); ++i) {
            if (applied[i]) {
                ++c.restored;
                changes.undo(*update_entry[i], "restored");
            } else if (auto e = classify(*update_entry[i])) {
                return e;
            }
        }
        updates.clear();
        update_entry.clear();
        ids.clear();
        return std::nullopt;
    };
    for (;;) {
        if (std::string e = reader.next(args.batch, entries); !e.empty()) {
            say("--undo: " + e);
            return exit_input;
        }
        if (entries.empty()) break;
        for (const journal_entry& e : entries) {
            ++c.entries;
            // One transaction changes a row once: a second entry for it waits for the next.
            if (!ids.insert(e.id).second) {
                if (auto err = flush()) return db_failure(*err).status;
                ids.insert(e.id);
            }
            db::row_update u;
            u.id = e.id;
            u.old_status = e.status;
            u.old_value = e.new_value;
            u.old_meta = e.new_meta;
            u.new_value = e.old_value;
            u.new_meta = e.old_meta;
            updates.push_back(std::move(u));
            update_entry.push_back(&e);
        }
        if (auto err = flush()) return db_failure(*err).status;
    }
    return exit_ok;
}

std::string undo_summary(const undo_counters& c, bool applied) {
    return "imgstore backfill: undo: " + std::to_string(c.entries) +
           " journal entries: " + std::to_string(c.restored) +
           (applied ? " restored, " : " to restore, ") + std::to_string(c.already_restored) +
           " already restored, " + std::to_string(c.changed_since) +
           " changed since (left alone); " + (applied ? "applied" : "dry run, nothing written") +
           "\n";
}

// Writes the report into the output opened at the start (so that a bad path fails before any
// row is read) and puts it in place.
std::string write_report(std::optional<output_file>& file, const boost::json::object& report) {
    if (!file) return {};
    const std::string text = pretty_json(report);
    std::fwrite(text.data(), 1, text.size(), file->stream());  // errors: commit() says
    if (auto r = file->commit(); !r) {
        return "cannot write " + file->path() + ": " + r.error().message();
    }
    return {};
}

int run_backfill(const common_options& common, const backfill_args& args) {
    backfill_setup s;
    const std::string usage = usage_problem(args, s.filter);
    s.filter.include_pending_delete = args.include_pending_delete;
    // Nothing is printed until every file of the run is known and checked: stderr may be one of
    // them (`2>> D` with D the SQLite database, known only from the config or --connection).
    file_set files;
    files.add_stdout("stdout");  // nothing is printed there, but it is a file of the run
    if (!args.volume_types_file.empty()) files.add_input("--volume-types", args.volume_types_file);
    if (!args.undo.empty()) files.add_input("--undo", args.undo);
    if (!args.changes.empty()) files.add_output("--changes", args.changes);
    if (!args.report.empty()) files.add_output("--report", args.report);
    if (!args.journal.empty()) files.add_output("--journal", args.journal);
    if (!args.resume.empty()) files.add_output("--resume", args.resume);
    std::optional<load_result> loaded = load_checked("backfill", common, files);
    if (!loaded) return exit_usage;
    std::string key_text;
    std::string settings_problem;
    const int settings_status = read_database_settings(common, args, s, key_text, settings_problem);
    add_database_files(files, s.spec,
                       args.connection.empty() ? "[database] connection" : "--connection");
    if (report_clash("backfill", files)) return exit_usage;
    // The file check is complete: from here on messages may be printed.
    if (!usage.empty()) {
        say(usage);
        return exit_usage;
    }
    if (int st = take_registry(*loaded, s.registry); st != exit_ok) return st;
    if (settings_status >= 0) {
        say(settings_problem);
        return settings_status;
    }
    s.resolver.emplace(s.registry);
    if (!args.volume_types_file.empty()) {
        if (std::string e = s.types.read(args.volume_types_file); !e.empty()) {
            say("--volume-types: " + e);
            return exit_input;
        }
        s.rules.stamp.volume_type_of = [&s](std::string_view id) { return s.types.type_of(id); };
    }
    s.rules.resolver = &*s.resolver;
    s.rules.cipher = s.cipher ? &*s.cipher : nullptr;
    s.rules.restamp_unknown = args.restamp_unknown;
    s.rules.describe = !args.changes.empty();
    s.fingerprint = fingerprint_of(s, args, key_text);

    std::optional<backfill_checkpoint> from;
    if (!args.resume.empty()) {
        backfill_checkpoint c;
        bool found = false;
        if (std::string e = load_checkpoint(args.resume, found, c); !e.empty()) {
            say("--resume: " + e);
            return exit_input;
        }
        if (found && c.fingerprint != s.fingerprint) {
            say("--resume: " + args.resume +
                " was written under another configuration (stores, volume types, flags, "
                "database or key); finish that run with the same settings, or remove the file "
                "to start over");
            return exit_usage;
        }
        if (found) from = c;
    }

    auto database = db::open(s.spec);
    if (!database) {
        say(database.error().message);
        return exit_input;
    }
    journal_writer journal;
    if (!args.journal.empty()) {
        if (std::string e = journal_writer::open(args.journal, journal); !e.empty()) {
            say("--journal: " + e);
            return exit_input;
        }
    }
    changes_writer changes;
    if (std::string e = changes.open(args.changes); !e.empty()) {
        say("--changes: " + e);
        return exit_input;
    }
    std::optional<output_file> report_file;
    if (!args.report.empty()) {
        auto created = output_file::create(args.report);
        if (!created) {
            say("--report: cannot write " + args.report + ": " + created.error().message());
            return exit_input;
        }
        report_file.emplace(std::move(*created));
    }
    journal_writer* journal_ptr = journal.is_open() ? &journal : nullptr;

    boost::json::object report;
    report["imgstore_version"] = tool_version;
    report["database"] = s.spec.display();
    report["mode"] = !args.undo.empty() ? "undo" : args.apply ? "apply" : "dry_run";
    int status = exit_ok;
    if (!args.undo.empty()) {
        undo_counters c;
        status = run_undo(*database, args, journal_ptr, changes, c);
        if (status != exit_ok) return status;
        std::fputs(undo_summary(c, args.apply).c_str(), stderr);
        report["journal_entries"] = c.entries;
        report["restored"] = c.restored;
        report["already_restored"] = c.already_restored;
        report["changed_since"] = c.changed_since;
    } else {
        pass_options p;
        p.apply = args.apply;
        p.journal = journal_ptr;
        p.changes = &changes;
        p.checkpoint = args.resume;
        p.from = from;
        pass_result r = run_pass(*database, s, args, p);
        if (r.status != exit_ok) return r.status;
        std::fputs(summary_text(r.counters, args.apply).c_str(), stderr);
        report["counters"] = counters_json(r.counters);
        if (args.verify) {
            std::uint64_t left = r.counters[backfill_outcome::stamped];
            if (args.apply) {  // what is still unstamped after the writes: a read-only pass
                pass_result check = run_pass(*database, s, args, pass_options{});
                if (check.status != exit_ok) return check.status;
                left = check.counters[backfill_outcome::stamped];
            }
            report["verify_unstamped_resolvable"] = left;
            say("verify: " + std::to_string(left) + " rows still need a store and resolve to one");
            if (left > 0) status = exit_verify;
        }
    }
    report["db_retries"] = database->retries();
    if (std::string e = changes.commit(); !e.empty()) {
        say("--changes: " + e);
        return exit_input;
    }
    if (std::string e = write_report(report_file, report); !e.empty()) {
        say("--report: " + e);
        return exit_input;
    }
    return status;
}

}  // namespace

command add_backfill(CLI::App& app, common_options& common) {
    auto args = std::make_shared<backfill_args>();
    auto* sub = add_subcommand_with_common(
        app, common, "backfill",
        "Stamp metadata.store on the legacy locations in Glance's database (dry run unless "
        "--apply)");
    sub->add_option("--connection", args->connection,
                    "Database URL as in [database] connection (default: that option)")
        ->type_name("URL")
        ->check(non_empty_path());
    sub->add_flag("--apply", args->apply, "Write the changes (without it: a dry run)");
    sub->add_option("--batch", args->batch, "At most N changed rows per transaction (default 500)")
        ->type_name("N");
    sub->add_option("--shard", args->shard, "Only rows with id % N == K-1 (parallel runs)")
        ->type_name("K/N");
    add_path_option(*sub, "--changes", args->changes, "One JSON line per decision");
    add_path_option(*sub, "--journal", args->journal,
                    "Append the old and new values of every changed row (for --undo)");
    add_path_option(*sub, "--undo", args->undo, "Restore the rows a journal recorded");
    add_path_option(*sub, "--resume", args->resume,
                    "Checkpoint: continue after its last committed batch, and keep it current");
    add_path_option(*sub, "--report", args->report, "Also write the summary there as JSON");
    add_path_option(*sub, "--volume-types", args->volume_types_file,
                    "volume-id<TAB>volume-type lines: the volume types of legacy "
                    "cinder://<volume> locations");
    sub->add_flag("--restamp-unknown", args->restamp_unknown,
                  "Also replace store ids this configuration does not have");
    sub->add_flag("--include-pending-delete", args->include_pending_delete,
                  "Also stamp locations in status pending_delete");
    sub->add_flag("--verify", args->verify,
                  "Exit 5 if any row still needs a store and resolves to one");
    sub->add_option("--rate", args->rate, "At most N rows per second (default: no limit)")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
    return {sub, [args, &common] { return run_backfill(common, *args); }};
}

}  // namespace imgstore::cli

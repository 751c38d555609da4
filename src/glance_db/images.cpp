// Reading one image (row, properties, tags, active locations) and the upload status transitions.
#include "imgstore/glance_db/images.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "glance_db/session.hpp"

namespace imgstore::glance_db {
namespace {

// A timestamp column as Glance's API prints it, whatever the backend stores.
std::string iso_utc(backend kind, std::string_view column) {
    switch (kind) {
        case backend::postgresql:
            return fmt::format("to_char({}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", column);
        case backend::mysql:
            return fmt::format("DATE_FORMAT({}, '%Y-%m-%dT%H:%i:%sZ')", column);
        case backend::sqlite:
            return fmt::format("strftime('%Y-%m-%dT%H:%M:%SZ', {})", column);
    }
    return std::string(column);
}

template <class T>
std::optional<T> unless_null(T value, soci::indicator ind) {
    if (ind == soci::i_null) return std::nullopt;
    return std::optional<T>(std::move(value));
}

db_error images_query_error(const database::impl& db,
                            std::string_view what,
                            const soci::soci_error& e) {
    return internal::query_error(db, what, e);
}

// Properties, tags and active locations of one image, appended to `image`.
void read_image_children(database::impl& state, image_row& image) {
    std::string name;
    std::string value;
    soci::indicator value_null = soci::i_ok;
    soci::statement props =
        (state.session.prepare << "SELECT name, value FROM image_properties WHERE image_id = "
                                  ":id AND deleted = false ORDER BY name",
         soci::into(name), soci::into(value, value_null), soci::use(image.id, "id"));
    props.execute();
    while (props.fetch()) {
        image.properties.emplace_back(name, value_null == soci::i_null ? std::string() : value);
    }
    // Glance's query has no ORDER BY and its domain object keeps the tags in a Python set, so
    // its order is arbitrary; row order is the stable one. Duplicates are dropped by bytes, as
    // the set does (MariaDB's collation would also merge "Linux" and "linux"). Glance caps an
    // image's tags (image_tag_quota, 128 by default), so a linear search is enough.
    std::string tag;
    soci::statement tags =
        (state.session.prepare << "SELECT value FROM image_tags WHERE image_id = :id AND "
                                  "deleted = false ORDER BY id",
         soci::into(tag), soci::use(image.id, "id"));
    tags.execute();
    while (tags.fetch()) {
        if (std::find(image.tags.begin(), image.tags.end(), tag) == image.tags.end()) {
            image.tags.push_back(tag);
        }
    }
    long long id = 0;
    std::string meta;
    soci::indicator meta_null = soci::i_ok;
    std::string status;
    soci::statement locs =
        (state.session.prepare << "SELECT id, value, meta_data, status FROM image_locations "
                                  "WHERE image_id = :id AND deleted = false AND status = "
                                  "'active' ORDER BY id",
         soci::into(id), soci::into(value), soci::into(meta, meta_null), soci::into(status),
         soci::use(image.id, "id"));
    locs.execute();
    while (locs.fetch()) {
        location_row row;
        row.id = id;
        row.image_id = image.id;
        row.value = value;
        row.meta_data = unless_null(meta, meta_null);
        row.status = status;
        image.locations.push_back(std::move(row));
    }
}

// One status compare-and-swap on images; how many rows it changed.
long long images_set_status(database::impl& state,
                            const std::string& id,
                            std::string_view from,
                            std::string_view to,
                            const std::string& now) {
    std::string from_s(from);
    std::string to_s(to);
    std::string ts = now;
    soci::statement st =
        (state.session.prepare << "UPDATE images SET status = :to, updated_at = :now WHERE id = "
                                  ":id AND deleted = false AND status = :from",
         soci::use(to_s, "to"), soci::use(ts, "now"), soci::use(id, "id"),
         soci::use(from_s, "from"));
    st.execute(true);
    return st.get_affected_rows();
}

// Why a status compare-and-swap did not apply: the image is gone or in another status.
upload_state images_miss_reason(database::impl& state, const std::string& id) {
    long long n = 0;
    state.session << "SELECT COUNT(*) FROM images WHERE id = :id AND deleted = false",
        soci::into(n), soci::use(id, "id");
    return n == 0 ? upload_state::no_image : upload_state::wrong_status;
}

db_result<upload_state> images_transition(database& db,
                                          const std::string& id,
                                          std::string_view from,
                                          std::string_view to) {
    auto& state = db.internals();
    upload_state out = upload_state::applied;
    auto attempt = [&]() -> db_result<void> {
        const std::string now = internal::utc_timestamp(state.spec.kind);
        state.session.begin();
        out = images_set_status(state, id, from, to, now) == 1 ? upload_state::applied
                                                               : images_miss_reason(state, id);
        state.session.commit();
        return {};
    };
    auto r = internal::with_retries(
        state, fmt::format("setting image {} from {} to {}", id, from, to), attempt);
    if (!r) return r.error();
    return out;
}

}  // namespace

db_result<std::optional<image_row>> read_image(database& db, const std::string& id) {
    auto& state = db.internals();
    const backend kind = state.spec.kind;
    const std::string sql = fmt::format(
        "SELECT id, name, status, size, virtual_size, checksum, os_hash_algo, os_hash_value, "
        "disk_format, container_format, owner, visibility, CASE WHEN protected THEN 1 ELSE 0 "
        "END, CASE WHEN os_hidden THEN 1 ELSE 0 END, min_disk, min_ram, {}, {} FROM images "
        "WHERE id = :id AND deleted = false",
        iso_utc(kind, "created_at"), iso_utc(kind, "updated_at"));
    image_row image;
    std::string name, checksum, algo, hash, disk, container, owner, updated, visibility;
    soci::indicator name_i = soci::i_ok, checksum_i = soci::i_ok, algo_i = soci::i_ok,
                    hash_i = soci::i_ok, disk_i = soci::i_ok, container_i = soci::i_ok,
                    owner_i = soci::i_ok, updated_i = soci::i_ok, size_i = soci::i_ok,
                    vsize_i = soci::i_ok, visibility_i = soci::i_ok;
    long long size = 0, vsize = 0, min_disk = 0, min_ram = 0;
    int is_protected = 0, hidden = 0;
    try {
        state.session << sql, soci::into(image.id), soci::into(name, name_i),
            soci::into(image.status), soci::into(size, size_i), soci::into(vsize, vsize_i),
            soci::into(checksum, checksum_i), soci::into(algo, algo_i), soci::into(hash, hash_i),
            soci::into(disk, disk_i), soci::into(container, container_i),
            soci::into(owner, owner_i), soci::into(visibility, visibility_i),
            soci::into(is_protected), soci::into(hidden), soci::into(min_disk), soci::into(min_ram),
            soci::into(image.created_at), soci::into(updated, updated_i), soci::use(id, "id");
        if (!state.session.got_data()) return std::optional<image_row>{};
        read_image_children(state, image);
    } catch (const soci::soci_error& e) {
        return images_query_error(state, fmt::format("reading image {}", id), e);
    }
    image.name = unless_null(name, name_i);
    image.size = unless_null<std::int64_t>(size, size_i);
    image.virtual_size = unless_null<std::int64_t>(vsize, vsize_i);
    image.checksum = unless_null(checksum, checksum_i);
    image.os_hash_algo = unless_null(algo, algo_i);
    image.os_hash_value = unless_null(hash, hash_i);
    image.disk_format = unless_null(disk, disk_i);
    image.container_format = unless_null(container, container_i);
    image.owner = unless_null(owner, owner_i);
    image.visibility = visibility_i == soci::i_null ? "shared" : visibility;
    image.is_protected = is_protected != 0;
    image.os_hidden = hidden != 0;
    image.min_disk = min_disk;
    image.min_ram = min_ram;
    image.updated_at = unless_null(updated, updated_i);
    return std::optional<image_row>{std::move(image)};
}

db_result<upload_state> begin_upload(database& db, const std::string& id) {
    return images_transition(db, id, "queued", "saving");
}

db_result<upload_state> abort_upload(database& db, const std::string& id) {
    return images_transition(db, id, "saving", "queued");
}

db_result<upload_state> finish_upload(database& db,
                                      const std::string& id,
                                      const upload_record& record) {
    auto& state = db.internals();
    upload_state out = upload_state::applied;
    auto attempt = [&]() -> db_result<void> {
        const std::string now = internal::utc_timestamp(state.spec.kind);
        state.session.begin();
        long long size = record.size;
        std::string status = "active";
        std::string from = "saving";
        soci::statement st =
            (state.session.prepare
                 << "UPDATE images SET status = :status, size = :size, checksum = :checksum, "
                    "os_hash_algo = :algo, os_hash_value = :hash, updated_at = :now WHERE id = "
                    ":id AND deleted = false AND status = :from",
             soci::use(status, "status"), soci::use(size, "size"),
             soci::use(record.checksum, "checksum"), soci::use(record.os_hash_algo, "algo"),
             soci::use(record.os_hash_value, "hash"), soci::use(now, "now"), soci::use(id, "id"),
             soci::use(from, "from"));
        st.execute(true);
        if (st.get_affected_rows() != 1) {
            out = images_miss_reason(state, id);
            state.session.rollback();
            return {};
        }
        state.session << "INSERT INTO image_locations (image_id, value, meta_data, status, "
                         "deleted, created_at, updated_at) VALUES (:id, :value, :meta, "
                         "'active', false, :now, :now2)",
            soci::use(id, "id"), soci::use(record.location_value, "value"),
            soci::use(record.meta_data, "meta"), soci::use(now, "now"), soci::use(now, "now2");
        state.session.commit();
        out = upload_state::applied;
        return {};
    };
    auto r =
        internal::with_retries(state, fmt::format("recording the upload of image {}", id), attempt);
    if (!r) return r.error();
    return out;
}

}  // namespace imgstore::glance_db

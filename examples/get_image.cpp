// The overview example of include/imgstore/imgstore.hpp made runnable: the library's part of
// an image GET (one snapshot, one stamp_image call, the changes saved once) and a SIGHUP
// reload that rereads the same files. Built and run by ctest (example_get_image).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <imgstore/imgstore.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

std::atomic<bool> hup{false};
extern "C" void on_hup(int) { hup = true; }

struct location_row {  // what an image service reads from its database
    std::string url;
    std::optional<std::string> store;
};

std::vector<imgstore::volume_answer> ask_cinder(const std::vector<std::string>& volumes) {
    std::vector<imgstore::volume_answer> answers;
    for (const std::string& v : volumes) answers.push_back({v, "ssd"});  // a real one asks Cinder
    return answers;
}

}  // namespace

int main() {
    const auto conf = std::filesystem::temp_directory_path() / "imgstore-get-image-example.conf";
    std::ofstream(conf) << "[DEFAULT]\nenabled_backends = fast:file, block:cinder\n"
                           "[glance_store]\ndefault_backend = fast\n"
                           "[fast]\nfilesystem_store_datadir = /srv/glance/images\n"
                           "[block]\ncinder_volume_type = ssd\n";
    auto live = imgstore::live_registry::create({.files = {conf}});
    if (!live.ok()) return 1;
    std::signal(SIGHUP, on_hup);
    std::raise(SIGHUP);
    if (hup && !live.handle->reload().ok) return 1;  // rereads the same file

    const std::vector<location_row> rows = {
        {"file:///srv/glance/images/0b5e", std::nullopt},
        {"cinder://6f1c2a39-3f0e-4c55-9d0a-2b8f0c6f1a11", std::nullopt},
    };
    auto snap = live.handle->current();
    std::vector<imgstore::location_ref> refs;
    for (const auto& row : rows) refs.push_back({row.url, row.store});
    imgstore::stamp_view view = imgstore::stamp_image(*snap->resolver, refs);
    if (view.volume_lookups.size() != 1) return 1;
    view = imgstore::stamp_image(*snap->resolver, refs, ask_cinder(view.volume_lookups));
    for (const imgstore::location_change& c : view.stamp.changes) {
        std::printf("save row %zu: store %s%s%s\n", c.index, c.new_store.c_str(),
                    c.new_url ? ", url " : "", c.new_url ? c.new_url->c_str() : "");
    }
    for (const auto& loc : view.locations) {
        std::printf("%s store=%s\n", loc.url.c_str(), loc.store ? loc.store->c_str() : "-");
    }
    std::filesystem::remove(conf);
    return view.complete() && view.stamp.changes.size() == 2 ? 0 : 1;
}

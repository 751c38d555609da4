#include "resolve_table.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

#include "imgstore/config.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore::test {
namespace {

constexpr std::string_view swift_references = R"([ref1]
auth_address = https://swift.example.com/auth/v1.0
user = tenant:user1
key = key1

[ref2]
auth_address = http://other.example.com
user = u2
key = k2
)";

// The swift reference file lives as long as the test program.
const std::string& swift_conf_path() {
    static temp_dir dir;
    static const std::string path = dir.write("glance-swift.conf", swift_references).string();
    return path;
}

std::vector<resolve_case> load_cases(const std::string& name) {
    std::vector<resolve_case> out;
    for (const tsv_row& row : read_tsv(data_dir + "/" + name, 4)) {
        const auto& f = row.fields;
        resolve_case c{static_cast<int>(row.line), unescape_table_text(f[0]), f[1], f[2], f[3],
                       f.size() > 4 ? f[4] : ""};
        if (c.canonical == "=") c.canonical = c.url;
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace

const std::vector<std::string> table_backends = {
    "fast:file",   "fast2:file", "nested:file", "cinder1:cinder", "cinder10:cinder",
    "web:http",    "ceph:rbd",   "ceph2:rbd",   "objects:s3",     "sw:swift",
    "swcfg:swift", "vm1:vmware", "vm2:vmware",
};

std::string table_config(const std::vector<std::string>& backends) {
    std::string list;
    for (const auto& b : backends) list += (list.empty() ? "" : ", ") + b;
    return "[DEFAULT]\nenabled_backends = " + list + R"(

[glance_store]
default_backend = fast

[fast]
filesystem_store_datadir = /srv/glance/images

[fast2]
filesystem_store_datadir = /srv/glance/images2

[nested]
filesystem_store_datadir = /srv/glance/images/nested

[ceph]
rbd_store_fsid = c0ffee00-0000-4000-8000-000000000001
rbd_store_pool = images

[ceph2]
rbd_store_ceph_conf = /nonexistent/imgstore-test/ceph.conf

[objects]
s3_store_host = https://s3.example.com
s3_store_access_key = AK
s3_store_secret_key = SK
s3_store_bucket = glance

[sw]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_user = svc:glance
swift_store_key = swift-secret
swift_store_container = images

[swcfg]
swift_store_config_file = )" +
           swift_conf_path() + R"(
default_swift_reference = ref1
swift_store_container = glance

[vm1]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = vm-secret
vmware_store_image_dir = /openstack_glance
vmware_datastores = dc1:ds1

[vm2]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = vm-secret
vmware_store_image_dir = /openstack_glance
vmware_datastores = dc1:ds2
vmware_datastores = dc1:ds 3:10
)";
}

std::shared_ptr<const store_registry> build_registry(const std::string& text) {
    config_load parsed = parse_config(text, "glance-api.conf");
    EXPECT_TRUE(parsed.ok()) << join(parsed.diagnostics);
    load_result r = store_registry::build(parsed.config);
    EXPECT_TRUE(r.ok()) << join(r.diagnostics);
    return r.registry;
}

const location_resolver& table_resolver() {
    static const location_resolver resolver(build_registry(table_config(table_backends)));
    return resolver;
}

void PrintTo(const resolve_case& c, std::ostream* os) {
    *os << "resolve_cases.tsv:" << c.line << " " << c.url.substr(0, 120);
}

const std::vector<resolve_case>& table() {
    static const std::vector<resolve_case> cases = load_cases("resolve_cases.tsv");
    return cases;
}

std::string what(const resolution& r) {
    return r.owner ? std::string(r.owner->id()) : std::string(to_string(r.reason));
}

std::string summary(const resolution& r) {
    return std::string(to_string(r.status)) + " " + what(r) + " " + std::string(r.canonical_url) +
           (r.has_credentials ? " creds" : "");
}

}  // namespace imgstore::test

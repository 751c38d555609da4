#include "imgstore/error.hpp"

#include <gtest/gtest.h>

namespace imgstore {
namespace {

TEST(Error, ConvertsToErrorCodeWithOwnCategory) {
    boost::system::error_code ec = errc::bad_uri;
    EXPECT_EQ(&ec.category(), &error_category());
    EXPECT_EQ(ec.message(), "malformed location URI");
    EXPECT_STREQ(error_category().name(), "imgstore");
}

TEST(Error, ResultCarriesValueOrError) {
    result<int> ok = 3;
    result<int> bad = make_error_code(errc::unknown_store);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), make_error_code(errc::unknown_store));
}

}  // namespace
}  // namespace imgstore

#include "hybrid/server/directory_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

UniqueFd open_directory(const std::filesystem::path& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

std::vector<std::string> names(const http::DirectoryListing& listing) {
  std::vector<std::string> result;
  for (const http::ListingEntry& entry : listing.entries) result.push_back(entry.name);
  return result;
}

TEST(ReadDirectory, ListsSortedWithTypesAndSizes) {
  test::TempDir root;
  root.write("d/b.txt", "bb");
  root.write("d/a.txt", "a");
  root.mkdir("d/z");
  UniqueFd root_fd = open_directory(root.path());
  http::DirectoryListing listing;
  ASSERT_EQ(
      read_directory(root_fd.get(), open_directory(root.path() / "d"), "d", false, {}, listing),
      http::Status::kOk);
  EXPECT_EQ(names(listing), (std::vector<std::string>{"z", "a.txt", "b.txt"}));
  EXPECT_TRUE(listing.entries[0].directory);
  EXPECT_EQ(listing.entries[2].size, 2u);
  EXPECT_EQ(listing.omitted, 0u);
}

TEST(ReadDirectory, CapsEntriesAndCountsTheRest) {
  test::TempDir root;
  for (int i = 0; i < 10; ++i) root.write("f" + std::to_string(i), "x");
  UniqueFd root_fd = open_directory(root.path());

  http::DirectoryListing exact;
  ASSERT_EQ(read_directory(root_fd.get(), open_directory(root.path()), "", false,
                           {.max_entries = 3, .max_counted = 100}, exact),
            http::Status::kOk);
  EXPECT_EQ(exact.entries.size(), 3u);
  EXPECT_EQ(exact.omitted, 7u);
  EXPECT_FALSE(exact.omitted_at_least);

  http::DirectoryListing bounded;
  ASSERT_EQ(read_directory(root_fd.get(), open_directory(root.path()), "", false,
                           {.max_entries = 3, .max_counted = 5}, bounded),
            http::Status::kOk);
  EXPECT_EQ(bounded.entries.size(), 3u);
  EXPECT_EQ(bounded.omitted, 5u);
  EXPECT_TRUE(bounded.omitted_at_least);
}

// A link is resolved from the root, as a GET of it would be: "../x" inside a subdirectory is
// fine while it stays below the root; one that leaves it is not listed.
TEST(ReadDirectory, LinksResolveFromTheRootNotTheListedDirectory) {
  test::TempDir root;
  test::TempDir outside;
  root.write("top.txt", "top");
  root.mkdir("d");
  std::filesystem::create_symlink("../top.txt", root.path() / "d/up");
  std::filesystem::create_symlink("../../" + outside.path().filename().string(),
                                  root.path() / "d/out");
  UniqueFd root_fd = open_directory(root.path());
  http::DirectoryListing listing;
  ASSERT_EQ(
      read_directory(root_fd.get(), open_directory(root.path() / "d"), "d", false, {}, listing),
      http::Status::kOk);
  EXPECT_EQ(names(listing), (std::vector<std::string>{"up"}));
  EXPECT_EQ(listing.entries[0].size, 3u);
}

}  // namespace
}  // namespace hybrid::server

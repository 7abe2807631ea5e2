// The default site (html/) describes the server; these tests hold its statements to what the
// server and its build actually do, so the pages cannot drift from the code unnoticed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "tests/blackbox/blackbox_support.h"

namespace hybrid::test {
namespace {

const std::filesystem::path kSite = std::filesystem::path(HYBRID_SOURCE_DIR) / "html";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text of the <section> whose heading id is `id` (empty when there is none).
std::string section(const std::string& page, std::string_view id) {
  const std::size_t heading = page.find("id=\"" + std::string(id) + "\"");
  if (heading == std::string::npos) return {};
  const std::size_t start = page.rfind("<section", heading);
  const std::size_t end = page.find("</section>", heading);
  if (start == std::string::npos || end == std::string::npos) return {};
  return page.substr(start, end - start);
}

TEST(SiteClaimsTest, RunItNamesEveryLibraryTheServerBuildNeeds) {
  const std::string run_it = section(read_file(kSite / "index.html"), "run-title");
  ASSERT_FALSE(run_it.empty()) << "index.html has no \"Run it\" section";
  // The libraries the server's CMake build finds (scripts/deps.sh installs their -dev packages).
  for (const char* library : {"Boost", "libmagic", "zlib", "CLI11"}) {
    EXPECT_NE(run_it.find(library), std::string::npos) << "\"Run it\" omits " << library;
  }
}

TEST(SiteClaimsTest, ArchitecturePageNamesTheMethodsAndStatusesTheServerAnswers) {
  const std::string page = read_file(kSite / "architecture.html");
  ASSERT_FALSE(page.empty());
  ServerProcess server(root_args(kSite));
  ASSERT_TRUE(server.running());

  const auto options = fetch(server.port(), make_request("OPTIONS", "/index.html"));
  ASSERT_TRUE(options);
  ASSERT_EQ(options->status, 204);
  const std::string allow(options->header("Allow"));
  ASSERT_FALSE(allow.empty());
  // Every method the server allows, and the status OPTIONS gets, are on the page.
  std::size_t begin = 0;
  while (begin < allow.size()) {
    std::size_t end = allow.find(',', begin);
    if (end == std::string::npos) end = allow.size();
    std::string method = allow.substr(begin, end - begin);
    method.erase(0, method.find_first_not_of(' '));
    EXPECT_NE(page.find("<code>" + method + "</code>"), std::string::npos)
        << "architecture.html does not name " << method << " (Allow: " << allow << ")";
    begin = end + 1;
  }
  EXPECT_NE(page.find("<code>204</code>"), std::string::npos);

  // Other methods: the statuses the page names for them.
  const auto del = fetch(server.port(), make_request("DELETE", "/index.html"));
  ASSERT_TRUE(del);
  EXPECT_NE(page.find("<code>" + std::to_string(del->status) + "</code>"), std::string::npos);
  const auto unknown = fetch(server.port(), make_request("BREW", "/index.html"));
  ASSERT_TRUE(unknown);
  EXPECT_NE(page.find("<code>" + std::to_string(unknown->status) + "</code>"), std::string::npos);
}

}  // namespace
}  // namespace hybrid::test

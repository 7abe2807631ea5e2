#include "hybrid/http/directory_listing.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace hybrid::http {
namespace {

using namespace std::string_view_literals;

constexpr std::time_t kMtime = 1700000000;  // 2023-11-14 22:13:20 UTC

std::string html_escaped(std::string_view text) {
  std::string out;
  append_html_escaped(text, out);
  return out;
}
std::string percent_encoded(std::string_view text) {
  std::string out;
  append_percent_encoded_segment(text, out);
  return out;
}
std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(text, out);
  return out;
}

ListingEntry file(std::string name, std::uint64_t size) {
  return {std::move(name), false, size, kMtime};
}
ListingEntry directory(std::string name) {
  return {std::move(name), true, 0, kMtime};
}

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escaped(R"(<script>alert(1)</script>)"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(html_escaped(R"(a&b"c'd)"), "a&amp;b&quot;c&#39;d");
}
TEST(HtmlEscape, KeepsUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(html_escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(html_escaped("a\xff"
                         "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(html_escaped("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong '/'
  EXPECT_EQ(html_escaped("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(html_escaped("\xc3"), "\xef\xbf\xbd");  // truncated at the end
}

TEST(PercentEncodeSegment, KeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encoded("Az09-._~"), "Az09-._~");
  EXPECT_EQ(percent_encoded("a b#c?d%e"), "a%20b%23c%3Fd%25e");
  EXPECT_EQ(percent_encoded("x:y"), "x%3Ay");  // never read as a scheme
  EXPECT_EQ(percent_encoded("<&\"'>"), "%3C%26%22%27%3E");
  EXPECT_EQ(percent_encoded("\xc3\xa9\xff"), "%C3%A9%FF");
}

TEST(JsonString, EscapesQuotesBackslashAndControls) {
  EXPECT_EQ(json_string(R"(a"b\c)"), R"("a\"b\\c")");
  EXPECT_EQ(json_string("a\nb\x01\x7f"), R"("a\u000Ab\u0001\u007F")");
}
TEST(JsonString, KeepsUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_string("a\xfe\xff"), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
  const std::string replacement = "\xef\xbf\xbd";
  // Past U+10FFFF: the lead and each stray continuation byte are one replacement each.
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"),
            "\"" + replacement + replacement + replacement + replacement + "\"");
}

TEST(SortListing, DirectoriesFirstThenBytewiseByName) {
  std::vector<ListingEntry> entries = {file("b", 1),        directory("z"), file("B", 1),
                                       file("\xc3\xa9", 1), directory("a"), file("a", 1)};
  sort_listing(entries);
  std::vector<std::string> names;
  for (const ListingEntry& entry : entries) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "z", "B", "a", "b", "\xc3\xa9"}));
  EXPECT_TRUE(entries[0].directory);
  EXPECT_TRUE(entries[1].directory);
  EXPECT_FALSE(entries[2].directory);
}

TEST(RenderListingHtml, RowsWithLinksSizesAndTimes) {
  DirectoryListing listing{"/docs/", {directory("sub"), file("a b.txt", 1536), file("x", 12)}};
  const std::string page = render_listing_html(listing);
  EXPECT_NE(page.find("<title>Index of /docs/</title>"), std::string::npos);
  EXPECT_NE(page.find("<h1>Index of /docs/</h1>"), std::string::npos);
  EXPECT_NE(page.find("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n"),
            std::string::npos);
  EXPECT_NE(page.find("<tr><td><a href=\"sub/\">sub/</a></td><td>2023-11-14 22:13:20</td>"
                      "<td>-</td></tr>\n"),
            std::string::npos);
  EXPECT_NE(page.find("<tr><td><a href=\"a%20b.txt\">a b.txt</a></td><td>2023-11-14 22:13:20</td>"
                      "<td title=\"1536 bytes\">1.5 KiB</td></tr>\n"),
            std::string::npos);
  EXPECT_NE(page.find("<td title=\"12 bytes\">12 B</td>"), std::string::npos);
  EXPECT_LT(page.find("sub/"), page.find("a%20b.txt"));  // kept in the order given
  EXPECT_EQ(page.find("more not shown"), std::string::npos);
}
TEST(RenderListingHtml, RootHasNoParentLink) {
  EXPECT_EQ(render_listing_html({"/", {file("a", 1)}}).find("../"), std::string::npos);
}
TEST(RenderListingHtml, EscapesNamesAndThePath) {
  DirectoryListing listing{"/<b>&/", {file("<script>alert(1)</script>", 1), file("a&b\"c", 1)}};
  const std::string page = render_listing_html(listing);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_NE(page.find("<h1>Index of /&lt;b&gt;&amp;/</h1>"), std::string::npos);
  EXPECT_NE(page.find("<a href=\"%3Cscript%3Ealert%281%29%3C%2Fscript%3E\">"
                      "&lt;script&gt;alert(1)&lt;/script&gt;</a>"),
            std::string::npos);
  EXPECT_NE(page.find("<a href=\"a%26b%22c\">a&amp;b&quot;c</a>"), std::string::npos);
}
TEST(RenderListingHtml, NotesWhatACapLeftOut) {
  DirectoryListing listing{"/", {file("a", 1)}, 42, false};
  EXPECT_NE(render_listing_html(listing).find("<p>\xe2\x80\xa6 42 more not shown</p>"),
            std::string::npos);
  listing.omitted_at_least = true;
  EXPECT_NE(render_listing_html(listing).find("<p>\xe2\x80\xa6 at least 42 more not shown</p>"),
            std::string::npos);
}
TEST(RenderListingHtml, HumanSizesKeepExactBytes) {
  const std::string page = render_listing_html(
      {"/", {file("k", 1024), file("m", 5 << 20), file("g", std::uint64_t{3} << 30)}});
  EXPECT_NE(page.find("<td title=\"1024 bytes\">1.0 KiB</td>"), std::string::npos);
  EXPECT_NE(page.find("<td title=\"5242880 bytes\">5.0 MiB</td>"), std::string::npos);
  EXPECT_NE(page.find("<td title=\"3221225472 bytes\">3.0 GiB</td>"), std::string::npos);
}

TEST(RenderListingJson, MatchesNginxShape) {
  DirectoryListing listing{"/", {directory("d"), file("a\"b", 7)}};
  EXPECT_EQ(render_listing_json(listing),
            "[\n"
            R"({"name":"d","type":"directory","mtime":"Tue, 14 Nov 2023 22:13:20 GMT"},)"
            "\n"
            R"({"name":"a\"b","type":"file","mtime":"Tue, 14 Nov 2023 22:13:20 GMT","size":7})"
            "\n]\n");
}
TEST(RenderListingJson, EmptyDirectoryIsAnEmptyArray) {
  EXPECT_EQ(render_listing_json({"/", {}}), "[\n]\n");
}

}  // namespace
}  // namespace hybrid::http

// Black-box: directory listings (--autoindex) as an operator and a browser see them: off by
// default, sorted, escaped, links that fetch what they name, dotfiles, JSON, HEAD, and what is
// never listed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

constexpr std::time_t kMtime = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT

struct Row {
  std::string href;
  std::string text;
};

// The listing's rows in page order: every link in the table, "../" included.
std::vector<Row> rows_of(const std::string& page) {
  static const std::regex kRow(R"re(<tr><td><a href="([^"]*)">([^<]*)</a></td>)re");
  std::vector<Row> rows;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), kRow); it != std::sregex_iterator();
       ++it) {
    rows.push_back({(*it)[1].str(), (*it)[2].str()});
  }
  return rows;
}

std::vector<std::string> hrefs_of(const std::string& page) {
  std::vector<std::string> hrefs;
  for (const Row& row : rows_of(page)) hrefs.push_back(row.href);
  return hrefs;
}

// The href of the row whose visible text is `text` (as the page shows it, escaped), or nullopt.
std::optional<std::string> href_for(const std::string& page, std::string_view text) {
  for (const Row& row : rows_of(page)) {
    if (row.text == text) return row.href;
  }
  return std::nullopt;
}

void set_mtime(const std::filesystem::path& path) {
  const timespec times[2] = {{kMtime, 0}, {kMtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << std::strerror(errno);
}

ServerProcess autoindex_server(const TempDir& dir, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), "--autoindex");
  return ServerProcess(root_args(dir.path(), std::move(extra)));
}

TEST(AutoindexTest, OffByDefaultADirectoryWithoutIndexIs404) {
  TempDir dir;
  dir.write("d/a.txt", "a");
  ServerProcess server(root_args(dir.path()));
  ASSERT_TRUE(server.running());
  for (const char* target : {"/", "/d/", "/d/?format=json"}) {
    SCOPED_TRACE(target);
    const auto response = get(server.port(), target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(response->body.find("a.txt"), std::string::npos);
  }
}

TEST(AutoindexTest, ListsDirectoriesFirstThenFilesSortedBytewise) {
  TempDir dir;
  for (const char* name : {"b.txt", "a.txt", "Z.txt", "\xc3\xa9.txt"}) {
    dir.write(std::string("d/") + name, name);
  }
  for (const char* name : {"zeta", "Adir", "sub"}) dir.mkdir(std::string("d/") + name);
  dir.write("top.txt", "top");
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());

  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 200);
  EXPECT_EQ(listing->header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(listing->header("Cache-Control"), "no-cache");
  EXPECT_FALSE(listing->has_header("ETag"));
  EXPECT_NE(listing->body.find("<title>Index of /d/</title>"), std::string::npos);
  EXPECT_NE(listing->body.find("<h1>Index of /d/</h1>"), std::string::npos);
  EXPECT_EQ(hrefs_of(listing->body),
            (std::vector<std::string>{"../", "Adir/", "sub/", "zeta/", "Z.txt", "a.txt", "b.txt",
                                      "%C3%A9.txt"}));
  EXPECT_EQ(href_for(listing->body, "sub/"), "sub/");  // directory names end with '/'

  const auto root = get(server.port(), "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(hrefs_of(root->body), (std::vector<std::string>{"d/", "top.txt"}));  // no "../"
  EXPECT_NE(root->body.find("<h1>Index of /</h1>"), std::string::npos);
}

TEST(AutoindexTest, RowsShowSizeAndUtcModificationTime) {
  TempDir dir;
  set_mtime(dir.write("d/data.bin", std::string(2048, 'x')));
  set_mtime(dir.mkdir("d/sub"));
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  EXPECT_NE(listing->body.find("<a href=\"data.bin\">data.bin</a></td><td>2023-11-14 22:13:20</td>"
                               "<td title=\"2048 bytes\">2.0 KiB</td>"),
            std::string::npos)
      << listing->body;
  EXPECT_NE(listing->body.find("<a href=\"sub/\">sub/</a></td><td>2023-11-14 22:13:20</td>"
                               "<td>-</td>"),
            std::string::npos)
      << listing->body;
}

// A file named like markup must show as text, and its link must fetch exactly that file. (A
// name cannot hold '/', so "</script>" cannot be a file name; "<script>" and an event handler
// can.)
TEST(AutoindexTest, ListingEscapesScriptNamesAndTheirLinksFetchTheFile) {
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {"<script>alert(1)<script>", "&lt;script&gt;alert(1)&lt;script&gt;"},
      {"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
      {"a&b\"c", "a&amp;b&quot;c"},
      {"it's", "it&#39;s"},
  };
  for (const auto& [name, text] : cases) dir.write("d/" + name, "content of " + name);
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->status, 200);
  EXPECT_EQ(listing->body.find("<script"), std::string::npos) << listing->body;
  EXPECT_EQ(listing->body.find("<img"), std::string::npos) << listing->body;
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    const std::optional<std::string> href = href_for(listing->body, text);
    ASSERT_TRUE(href) << listing->body;
    EXPECT_EQ(href->find_first_of("<>&\"' "), std::string::npos) << *href;
    const auto file = get(server.port(), "/d/" + *href);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200);
    EXPECT_EQ(file->body, "content of " + name);
  }
}

// '#' would start a fragment, '?' a query, '%' an escape, ' ' end the target, ':' a scheme; UTF-8
// and bytes that are not UTF-8 must survive. Every link must fetch the file it names.
TEST(AutoindexTest, NamesWithReservedOrNonAsciiBytesLinkToThemselves) {
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {"a#b", "a#b"},
      {"what?x=1", "what?x=1"},
      {"100%", "100%"},
      {"%41", "%41"},
      {"with space", "with space"},
      {"x:y", "x:y"},
      {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
      {"latin1-\xe9", "latin1-\xef\xbf\xbd"},  // not UTF-8: shown as U+FFFD, linked by its bytes
      {"sub dir#1", "sub dir#1/"},
  };
  for (const auto& [name, text] : cases) {
    if (text.ends_with('/')) {
      dir.write("d/" + name + "/index.html", "index of " + name);
    } else {
      dir.write("d/" + name, "content of " + name);
    }
  }
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->status, 200);
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    const std::optional<std::string> href = href_for(listing->body, text);
    ASSERT_TRUE(href) << listing->body;
    const auto file = get(server.port(), "/d/" + *href);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200);
    EXPECT_EQ(file->body, (text.ends_with('/') ? "index of " : "content of ") + name);
  }
}

TEST(AutoindexTest, DotfilesHiddenUnlessServeDotfiles) {
  TempDir dir;
  dir.write("d/.env", "SECRET=1\n");
  dir.write("d/.git/config", "[core]\n");
  dir.write("d/visible.txt", "v");
  dir.write(".well-known/x", "x");
  {
    ServerProcess server(autoindex_server(dir));
    ASSERT_TRUE(server.running());
    const auto listing = get(server.port(), "/d/");
    ASSERT_TRUE(listing);
    EXPECT_EQ(hrefs_of(listing->body), (std::vector<std::string>{"../", "visible.txt"}));
    const auto json = get(server.port(), "/d/?format=json");
    ASSERT_TRUE(json);
    EXPECT_EQ(json->body.find(".env"), std::string::npos);
    const auto root = get(server.port(), "/");
    ASSERT_TRUE(root);
    EXPECT_EQ(hrefs_of(root->body), (std::vector<std::string>{"d/"}));
    const auto dot_directory = get(server.port(), "/d/.git/");  // already 404 without the flag
    ASSERT_TRUE(dot_directory);
    EXPECT_EQ(dot_directory->status, 404);
  }
  ServerProcess server(autoindex_server(dir, {"--serve-dotfiles"}));
  ASSERT_TRUE(server.running());
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(hrefs_of(listing->body),
            (std::vector<std::string>{"../", ".git/", ".env", "visible.txt"}));
  const auto env = get(server.port(), "/d/" + href_for(listing->body, ".env").value_or("?"));
  ASSERT_TRUE(env);
  EXPECT_EQ(env->body, "SECRET=1\n");
  const auto dot_directory = get(server.port(), "/d/.git/");
  ASSERT_TRUE(dot_directory);
  EXPECT_EQ(hrefs_of(dot_directory->body), (std::vector<std::string>{"../", "config"}));
}

TEST(AutoindexTest, JsonFormatIsNginxShapedAndEscaped) {
  TempDir dir;
  set_mtime(dir.write("d/a.txt", "abc"));
  set_mtime(dir.write("d/q\"uote", "q"));
  set_mtime(dir.write("d/\xff", "not utf-8"));
  set_mtime(dir.mkdir("d/sub"));
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const std::string expected =
      "[\n"
      R"({"name":"sub","type":"directory","mtime":"Tue, 14 Nov 2023 22:13:20 GMT"},)"
      "\n"
      R"({"name":"a.txt","type":"file","mtime":"Tue, 14 Nov 2023 22:13:20 GMT","size":3},)"
      "\n"
      R"({"name":"q\"uote","type":"file","mtime":"Tue, 14 Nov 2023 22:13:20 GMT","size":1},)"
      "\n"
      "{\"name\":\"\xef\xbf\xbd\",\"type\":\"file\",\"mtime\":\"Tue, 14 Nov 2023 22:13:20 GMT\","
      "\"size\":9}\n"
      "]\n";
  // Other query parameters are ignored, before or after.
  for (const char* target : {"/d/?format=json", "/d/?x=1&format=json&y"}) {
    SCOPED_TRACE(target);
    const auto json = get(server.port(), target);
    ASSERT_TRUE(json);
    EXPECT_EQ(json->status, 200);
    EXPECT_EQ(json->header("Content-Type"), "application/json");
    EXPECT_EQ(json->header("Cache-Control"), "no-cache");
    EXPECT_EQ(json->body, expected);
  }
  const auto html = get(server.port(), "/d/?format=html&v=2");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->header("Content-Type"), "text/html; charset=utf-8");
}

TEST(AutoindexTest, IndexHtmlStillWinsOverAListing) {
  TempDir dir;
  dir.write("d/index.html", "<p>the index</p>");
  dir.write("d/other.txt", "o");
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  for (const char* target : {"/d/", "/d/?format=json"}) {
    SCOPED_TRACE(target);
    const auto response = get(server.port(), target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "<p>the index</p>");
  }
}

TEST(AutoindexTest, NoTrailingSlashStillRedirects) {
  TempDir dir;
  dir.write("d/a.txt", "a");
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const auto response = get(server.port(), "/d?format=json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 301);
  EXPECT_EQ(response->header("Location"), "/d/?format=json");
}

// HEAD: the same head as GET, and no body (the GET behind it on the same connection parses).
TEST(AutoindexTest, HeadGetsTheHeadOnly) {
  TempDir dir;
  dir.write("d/a.txt", "a");
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  TestClient client(kLoopback, server.port());
  ASSERT_TRUE(client.send(make_request("HEAD", "/d/") + make_request("GET", "/d/")));
  const auto head = client.read_response(true);
  const auto full = client.read_response();
  ASSERT_TRUE(head);
  ASSERT_TRUE(full);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->header("Content-Type"), full->header("Content-Type"));
  EXPECT_EQ(head->header("Content-Length"), std::to_string(full->body.size()));
  EXPECT_NE(full->body.find("a.txt"), std::string::npos);
}

// What GET would 404 is not listed: a FIFO, a symlink out of the root, a dangling one. A link
// inside the root is listed as what it leads to.
TEST(AutoindexTest, OnlyWhatAGetServesIsListed) {
  TempDir dir;
  TempDir outside;
  const auto secret = outside.write("secret.txt", "outside the root");
  dir.write("d/a.txt", "abc");
  dir.mkdir("d/sub");
  ASSERT_EQ(::mkfifo((dir.path() / "d/pipe").c_str(), 0644), 0) << std::strerror(errno);
  std::filesystem::create_symlink("a.txt", dir.path() / "d/to-a");
  std::filesystem::create_symlink("sub", dir.path() / "d/to-sub");
  std::filesystem::create_symlink(secret, dir.path() / "d/escape");
  std::filesystem::create_symlink("../../" + outside.path().filename().string() + "/secret.txt",
                                  dir.path() / "d/escape-relative");
  std::filesystem::create_symlink("missing", dir.path() / "d/dangling");
  std::filesystem::create_symlink("pipe", dir.path() / "d/to-pipe");
  dir.write("d/back\\slash", "a request path cannot name it (400)");
  dir.write("d/new\nline", "nor this one");
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(hrefs_of(listing->body),
            (std::vector<std::string>{"../", "sub/", "to-sub/", "a.txt", "to-a"}));
  EXPECT_NE(listing->body.find("<a href=\"to-a\">to-a</a></td><td>"), std::string::npos);
  EXPECT_NE(listing->body.find("<td title=\"3 bytes\">3 B</td></tr>\n</table>"), std::string::npos)
      << "to-a should carry a.txt's size:\n"
      << listing->body;
  for (const char* hidden : {"pipe", "escape", "dangling", "outside the root", "slash", "line"}) {
    EXPECT_EQ(listing->body.find(hidden), std::string::npos) << hidden;
  }
  const auto linked = get(server.port(), "/d/to-a");
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->body, "abc");
}

TEST(AutoindexTest, HugeDirectoryIsCappedWithANote) {
  TempDir dir;
  dir.mkdir("d");
  constexpr int kFiles = 10'003;
  for (int i = 0; i < kFiles; ++i) {
    const auto path = dir.path() / "d" / ("f" + std::to_string(i));
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ::close(fd);
  }
  ServerProcess server(autoindex_server(dir));
  ASSERT_TRUE(server.running());
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 200);
  EXPECT_EQ(rows_of(listing->body).size(), 1 + 10'000u);  // "../" and the cap
  EXPECT_NE(listing->body.find("\xe2\x80\xa6 3 more not shown"), std::string::npos);
  EXPECT_EQ(listing->header("X-Autoindex-Omitted"), "3");
}

TEST(AutoindexTest, VirtualHostRootsAreListedToo) {
  TempDir base;
  base.write("root/index.html", "root");
  base.write("sites/default/a.txt", "a");
  base.write("sites/default/sub/b.txt", "b");
  ServerProcess server({"--root", (base.path() / "root").string(), "--vhosts",
                        (base.path() / "sites").string(), "--autoindex"});
  ASSERT_TRUE(server.running());
  const auto root = get(server.port(), "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(hrefs_of(root->body), (std::vector<std::string>{"sub/", "a.txt"}));
  const auto sub = get(server.port(), "/sub/");
  ASSERT_TRUE(sub);
  EXPECT_EQ(hrefs_of(sub->body), (std::vector<std::string>{"../", "b.txt"}));
}

TEST(AutoindexTest, ConfigFileTurnsItOnAndPrintConfigShowsIt) {
  TempDir dir;
  dir.write("d/a.txt", "a");
  TempDir config_dir;
  const std::string config =
      config_dir.write("on.toml", "root = \"" + dir.path().string() + "\"\nautoindex = true\n")
          .string();
  ServerProcess server({"--config", config});
  ASSERT_TRUE(server.running()) << server.output();
  const auto listing = get(server.port(), "/d/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 200);
  EXPECT_EQ(hrefs_of(listing->body), (std::vector<std::string>{"../", "a.txt"}));

  const RunResult printed = run_hybridd({"--config", config, "--print-config"});
  EXPECT_EQ(printed.exit_code, 0) << printed.output;
  EXPECT_NE(printed.output.find("autoindex=true\n"), std::string::npos) << printed.output;
  const RunResult off = run_hybridd({"--print-config"});
  EXPECT_NE(off.output.find("autoindex=false\n"), std::string::npos) << off.output;
}

}  // namespace
}  // namespace hybrid::test

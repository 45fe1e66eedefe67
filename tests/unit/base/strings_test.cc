#include "reconciler/base/strings.h"

#include <doctest/doctest.h>

using namespace reconcile;

TEST_CASE("split keeps empty fields") {
  CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
  CHECK(split("", ',') == std::vector<std::string>{""});
}

TEST_CASE("trim") {
  CHECK(trim("  a b \n") == "a b");
  CHECK(trim(" \t") == "");
}

TEST_CASE("edit distance and closest match") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(closest_match("pakages", {"packages", "users", "files"}) == "packages");
  CHECK(closest_match("zzzzzz", {"packages", "users", "files"}).empty());
  CHECK(closest_match("users", {"users"}).empty());
}

TEST_CASE("glob_match") {
  CHECK(glob_match("web*", "web1"));
  CHECK(glob_match("db?", "db1"));
  CHECK_FALSE(glob_match("db?", "db10"));
  CHECK(glob_match("[a-c]x", "bx"));
}

TEST_CASE("to_hex") {
  CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
}

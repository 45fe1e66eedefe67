#include "reconciler/base/yaml_tree.h"

#include <doctest/doctest.h>

using namespace reconcile;

TEST_CASE("parse_yaml keeps locations and raw scalar text") {
  auto root = parse_yaml("a: 1\nmode: 0644\nlist:\n  - x\n  - 'y'\n", "f.yaml");
  REQUIRE(root.has_value());
  REQUIRE(root->is_map());
  const YamlNode* mode = root->find("mode");
  REQUIRE(mode != nullptr);
  CHECK(mode->text() == "0644");
  CHECK(mode->location().to_string() == "f.yaml:2:7");
  const YamlNode* list = root->find("list");
  REQUIRE(list->is_sequence());
  CHECK(list->items()[0].location().line == 4);
  CHECK_FALSE(list->items()[0].quoted());
  CHECK(list->items()[1].quoted());
}

TEST_CASE("parse_yaml rejects syntax errors with a location") {
  auto root = parse_yaml("a: [1, 2\nb: 3\n", "bad.yaml");
  REQUIRE_FALSE(root.has_value());
  CHECK(root.error().message().find("bad.yaml:") == 0);
  CHECK(root.error().message().find("YAML syntax error") != std::string::npos);
}

TEST_CASE("parse_yaml rejects duplicate keys") {
  auto root = parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml");
  REQUIRE_FALSE(root.has_value());
  CHECK(root.error().message() == "dup.yaml:3:1: duplicate key 'a'");
}

TEST_CASE("parse_yaml rejects NUL bytes and non-scalar keys") {
  auto nul = parse_yaml("a: \"x\\0y\"\n", "nul.yaml");
  REQUIRE_FALSE(nul.has_value());
  CHECK(nul.error().message().find("NUL") != std::string::npos);
  auto key = parse_yaml("? [a]\n: 1\n", "key.yaml");
  REQUIRE_FALSE(key.has_value());
  CHECK(key.error().message().find("map key") != std::string::npos);
}

TEST_CASE("parse_yaml bounds alias expansion and depth") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string previous = "a";
  for (char name = 'b'; name <= 'j'; ++name) {
    bomb += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i)
      bomb += (i ? ", *" : "*") + previous;
    bomb += "]\n";
    previous = std::string(1, name);
  }
  auto expanded = parse_yaml(bomb, "bomb.yaml");
  REQUIRE_FALSE(expanded.has_value());
  CHECK(expanded.error().message().find("too large") != std::string::npos);

  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto nested = parse_yaml(deep, "deep.yaml");
  REQUIRE_FALSE(nested.has_value());
  CHECK(nested.error().message().find("nested deeper") != std::string::npos);
}

TEST_CASE("parse_yaml: empty document is null, several documents are refused") {
  auto empty = parse_yaml("", "e.yaml");
  REQUIRE(empty.has_value());
  CHECK(empty->is_null());
  auto two = parse_yaml("a: 1\n---\nb: 2\n", "two.yaml");
  REQUIRE_FALSE(two.has_value());
}

TEST_CASE("merge_yaml merges maps and replaces scalars and lists") {
  auto base = parse_yaml("a: {x: 1, y: [1, 2]}\nb: 1\n", "base.yaml");
  auto overlay = parse_yaml("a: {y: [3], z: 2}\nc: 3\n", "over.yaml");
  REQUIRE(base.has_value());
  REQUIRE(overlay.has_value());
  YamlNode merged = *base;
  merge_yaml(merged, *overlay);
  const YamlNode* a = merged.find("a");
  CHECK(a->find("x")->text() == "1");
  REQUIRE(a->find("y")->items().size() == 1);
  CHECK(a->find("y")->items()[0].text() == "3");
  CHECK(a->find("y")->location().file == "over.yaml");
  CHECK(a->find("z")->text() == "2");
  CHECK(merged.find("b")->text() == "1");
  CHECK(merged.find("c")->text() == "3");
}

TEST_CASE("parse_yaml: input that yaml-cpp 0.7 mishandles is refused, not looped on or dropped") {
  // YAML::LoadAll loops forever on ","; YAML::Load returns null for ",\na: 1".
  for (const char* text : {",", ",\na: 1\n", "a: 1\n,\n"}) {
    CAPTURE(std::string(text));
    auto root = parse_yaml(text, "c.yaml");
    CHECK_FALSE(root.has_value());
  }
}

TEST_CASE("parse_yaml expands aliases and keeps null spellings") {
  auto root = parse_yaml("a: &x {k: v}\nb: *x\nc: ~\nd: 'null'\n", "a.yaml");
  REQUIRE(root.has_value());
  CHECK(root->find("b")->find("k")->text() == "v");
  CHECK(root->find("c")->is_null());
  CHECK(root->find("d")->is_scalar());
}

#include "config/mapping_reader.hpp"

#include <algorithm>
#include <charconv>

#include <yaml-cpp/yaml.h>

#include "config/duration.hpp"

namespace netsvcd::config {
namespace {

std::string quoted(std::string_view text) {
  return '"' + std::string(text) + '"';
}

// Levenshtein distance, for "did you mean" on unknown keys; keys are short.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
    default:
      return "nothing";
  }
}

MappingReader::MappingReader(const YAML::Node& mapping, std::string path, ConfigErrors& errors)
    : mapping_(mapping), path_(std::move(path)), errors_(errors) {
  for (const auto& pair : mapping_) {
    const YAML::Node key = pair.first;
    if (!key.IsScalar()) {
      errors_.add(key.Mark(), path_, "keys must be plain names, not " + describe_node(key));
      continue;
    }
    const auto duplicate = std::find_if(entries_.begin(), entries_.end(),
                                        [&](const Entry& e) { return e.key == key.Scalar(); });
    if (duplicate != entries_.end()) {
      errors_.add(key.Mark(), path_of(key.Scalar()),
                  "duplicate key (first given at line " +
                      std::to_string(duplicate->key_node.Mark().line + 1) + ")");
      continue;
    }
    entries_.push_back({key.Scalar(), key, pair.second});
  }
}

std::string MappingReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + '.' + std::string(key);
}

const MappingReader::Entry* MappingReader::entry(std::string_view key) {
  if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end()) {
    known_keys_.emplace_back(key);
  }
  const auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries_.end() ? nullptr : &*it;
}

YAML::Node MappingReader::find(std::string_view key) {
  const Entry* e = entry(key);
  return e ? e->value : YAML::Node(YAML::NodeType::Undefined);
}

void MappingReader::error(std::string_view key, std::string message) {
  const Entry* e = entry(key);
  errors_.add(e ? e->value.Mark() : mapping_.Mark(), path_of(key), std::move(message));
}

void MappingReader::reject(std::string_view key, std::string message) {
  const auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end()) return;
  it->rejected = true;
  errors_.add(it->key_node.Mark(), path_of(key), std::move(message));
}

void MappingReader::error_at(const YAML::Node& node, std::string path, std::string message) {
  errors_.add(node.Mark(), std::move(path), std::move(message));
}

std::optional<std::string> MappingReader::string(std::string_view key) {
  const Entry* e = entry(key);
  if (!e) return std::nullopt;
  if (!e->value.IsScalar()) {
    error(key, "expected a string, got " + describe_node(e->value));
    return std::nullopt;
  }
  return e->value.Scalar();
}

std::optional<std::string> MappingReader::required_string(std::string_view key) {
  if (!entry(key)) {
    errors_.add(mapping_.Mark(), path_of(key), "missing (this key is required)");
    return std::nullopt;
  }
  return string(key);
}

std::optional<std::int64_t> MappingReader::integer(std::string_view key, std::int64_t min,
                                                   std::int64_t max) {
  const Entry* e = entry(key);
  if (!e) return std::nullopt;
  const std::string expected =
      "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!e->value.IsScalar()) {
    error(key, expected + ", got " + describe_node(e->value));
    return std::nullopt;
  }
  const std::string& text = e->value.Scalar();
  std::int64_t value = 0;
  const auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || rest != text.data() + text.size() || text.empty() || value < min ||
      value > max) {
    error(key, expected + ", got " + quoted(text));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> MappingReader::boolean(std::string_view key) {
  const Entry* e = entry(key);
  if (!e) return std::nullopt;
  if (e->value.IsScalar()) {
    // YAML 1.2's core schema: true/false only, so "no" or "off" is never a surprise.
    const std::string& text = e->value.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  error(key, "expected true or false, got " + describe_node(e->value));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> MappingReader::duration(std::string_view key,
                                                                 std::chrono::milliseconds min) {
  const Entry* e = entry(key);
  if (!e) return std::nullopt;
  const auto value = e->value.IsScalar() ? parse_duration(e->value.Scalar()) : std::nullopt;
  if (!value || *value < min) {
    error(key, "expected a duration of at least " + format_duration(min) +
                   " such as 10s, 500ms or 2m, got " + describe_node(e->value));
    return std::nullopt;
  }
  return value;
}

void MappingReader::finish() {
  for (const Entry& e : entries_) {
    if (e.rejected) continue;
    if (std::find(known_keys_.begin(), known_keys_.end(), e.key) != known_keys_.end()) continue;
    std::string message = "unknown key";
    const auto closest = std::min_element(
        known_keys_.begin(), known_keys_.end(), [&](const std::string& a, const std::string& b) {
          return edit_distance(e.key, a) < edit_distance(e.key, b);
        });
    if (closest != known_keys_.end() && edit_distance(e.key, *closest) <= 2) {
      message += ": did you mean " + quoted(*closest) + "?";
    }
    message += " (expected " + join(known_keys_) + ")";
    errors_.add(e.key_node.Mark(), path_of(e.key), std::move(message));
  }
}

}  // namespace netsvcd::config

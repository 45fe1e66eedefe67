#pragma once

// `reconcile diff REV1 REV2`: what a commit changes in the desired state of
// each host, at the level of the model rather than of files. Roles are
// already merged, templates rendered and defaults applied, so a one-line
// change in a role shows up on every host that uses it, and a reordered
// YAML file shows nothing. Offline and pure: reads two loaded repositories
// and their sources, never a host.
//
// Each host's model is flattened into keys ("users.alice.shell") with a
// printable value; the diff compares the two maps. Secret values are never
// read: a secret is compared by the bytes of its encrypted file, which says
// "re-encrypted" and nothing more, and sensitive values (password hashes)
// only say that they changed. File content is compared by digest and line
// count, since the git diff next to this one shows the text.

#include <map>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "desired-state/source.h"

namespace reconcile {

enum class ValueKind {
  kPlain,       // printed as is
  kSensitive,   // never printed ("changed (value not shown)")
  kContent,     // "sha256 <12 hex>, <n> lines"
  kCiphertext,  // an encrypted secret: only "re-encrypted"
};

struct ModelValue {
  std::string text;
  ValueKind kind = ValueKind::kPlain;

  bool operator==(const ModelValue& other) const = default;
};

// "users.alice.shell" -> "/bin/bash". Unset optional values have no key.
using FlatModel = std::map<std::string, ModelValue>;

// The flattened model of one host. `source` is the repository the host was
// loaded from, for the bytes of secrets and disk layouts.
FlatModel flatten_host(const state::Host& host, const state::RepoSource& source);

// Repository-wide settings that are not part of any host (secret recipients
// and access lists).
FlatModel flatten_settings(const state::RepoSettings& settings);

enum class ModelAction { kAdded, kRemoved, kChanged };

struct ModelChange {
  ModelAction action = ModelAction::kChanged;
  std::string key;  // "users.alice.shell", "roles"
  ModelValue before;
  ModelValue after;
  std::string description;  // "users.alice.shell: /bin/sh → /bin/bash"
};

struct HostDiff {
  std::string name;
  ModelAction action = ModelAction::kChanged;  // the host itself added, removed or changed
  std::vector<std::string> roles;              // of an added or removed host
  std::vector<ModelChange> changes;            // of a changed host
};

struct ModelDiff {
  std::string from;  // commit ids (or origins)
  std::string to;
  std::vector<HostDiff> hosts;          // hosts that differ, by name
  std::vector<ModelChange> repository;  // settings that differ

  bool empty() const { return hosts.empty() && repository.empty(); }
};

// Compares two flat models; changes sorted by key.
std::vector<ModelChange> diff_flat(const FlatModel& before, const FlatModel& after);

// Role lists: "role web added", "role base removed", "roles reordered".
std::vector<ModelChange> diff_roles(const std::vector<std::string>& before,
                                    const std::vector<std::string>& after);

ModelDiff diff_models(const state::Repo& before, const state::RepoSource& before_source,
                      const state::Repo& after, const state::RepoSource& after_source);

// Renderers: text for people, JSON (docs/plan-json.md), Markdown for pull
// requests. None prints a secret or sensitive value.
std::string render_model_diff_text(const ModelDiff& diff);
std::string render_model_diff_json(const ModelDiff& diff);
std::string render_model_diff_markdown(const ModelDiff& diff);

}  // namespace reconcile

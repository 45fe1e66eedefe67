#include "reconciler/daemon/commit_gate.h"

#include <spdlog/spdlog.h>

#include "reconciler/daemon/commit_trust.h"
#include "reconciler/daemon/git_mirror.h"

namespace reconcile::daemon {

namespace {

std::string short_id(const std::string& commit) {
  return commit.substr(0, 12);
}

// The first diagnostics, one per line, and how many more there are.
std::string describe_diagnostics(const Diagnostics& diagnostics) {
  constexpr size_t kShown = 20;
  std::string text;
  size_t shown = 0;
  for (const auto& item : diagnostics.items()) {
    if (shown++ == kShown) break;
    text += "\n" + item.location.to_string() + ": " + item.message;
  }
  if (diagnostics.size() > kShown) {
    text += "\n... and " + std::to_string(diagnostics.size() - kShown) + " more";
  }
  return text;
}

GateVerdict check_signatures(const std::string& mirror, const std::string& base,
                             const std::string& tip, const AllowedSigners& signers) {
  GateVerdict verdict;
  auto range = check_commit_range(mirror, base, tip, signers);
  if (!range) {
    verdict.reason =
        "cannot check the signatures of " + short_id(tip) + ": " + range.error().message();
    return verdict;
  }
  verdict.checked = static_cast<int>(range->commits.size());
  if (range->base_missing) {
    spdlog::warn("the last accepted commit {} is not in the mirror; checked the tip only",
                 short_id(base));
  }
  for (const auto& check : range->commits) {
    if (check.problem.empty()) {
      spdlog::debug("commit {} signed by {}", short_id(check.commit), check.signer);
    } else {
      spdlog::error("commit {} (\"{}\") is not trusted: {}", short_id(check.commit), check.summary,
                    check.problem);
    }
  }
  if (const CommitCheck* problem = range->first_problem()) {
    size_t bad = 0;
    for (const auto& check : range->commits)
      bad += check.problem.empty() ? 0 : 1;
    verdict.reason = "commit " + short_id(problem->commit) + " (\"" + problem->summary +
                     "\"): " + problem->problem;
    if (bad > 1) verdict.reason += " (" + std::to_string(bad - 1) + " more untrusted commit(s))";
    return verdict;
  }
  verdict.kind = GateVerdict::Kind::kAccepted;
  return verdict;
}

}  // namespace

Result<std::unique_ptr<LoadedCommit>> load_commit(const std::string& mirror,
                                                  const std::string& commit) {
  auto source = state::open_git_source(mirror, commit);
  if (!source) return std::move(source).error();
  auto result = std::make_unique<LoadedCommit>();
  result->commit = (*source)->commit();
  result->commit_time = commit_time(mirror, result->commit);
  result->loaded = state::load_repo(**source);
  result->source = std::move(*source);
  if (!result->loaded.ok()) {
    return invalid_argument(
        "commit " + short_id(commit) + " has " + std::to_string(result->loaded.diagnostics.size()) +
        " validation error(s):" + describe_diagnostics(result->loaded.diagnostics));
  }
  return result;
}

GateVerdict check_and_load(const std::string& mirror, const std::string& base,
                           const std::string& tip, const AllowedSigners* signers) {
  GateVerdict verdict;
  if (signers != nullptr) {
    verdict = check_signatures(mirror, base, tip, *signers);
    if (verdict.kind != GateVerdict::Kind::kAccepted) return verdict;
  }
  auto loaded = load_commit(mirror, tip);
  if (!loaded) {
    verdict.kind = GateVerdict::Kind::kInvalid;
    verdict.reason = loaded.error().message();
    return verdict;
  }
  verdict.kind = GateVerdict::Kind::kAccepted;
  verdict.accepted = std::move(*loaded);
  return verdict;
}

}  // namespace reconcile::daemon

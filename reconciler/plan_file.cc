#include "reconciler/plan_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "reconciler/repo_identity.h"

namespace reconcile {

namespace {

Status write_atomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp-XXXXXX";
  int fd = mkstemp(temporary.data());
  if (fd < 0) return system_error("cannot write " + path, errno);
  fchmod(fd, 0644);  // a plan holds no secret; reviewers and CI read it
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      int error = errno;
      close(fd);
      unlink(temporary.c_str());
      return system_error("cannot write " + path, error);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    unlink(temporary.c_str());
    return system_error("cannot write " + path, error);
  }
  return ok();
}

}  // namespace

Result<PlanWriter> PlanWriter::prepare(const std::string& out_path, const std::string& state_dir,
                                       const std::string& repo_path, const state::Repo& repo) {
  if (repo.commit.empty()) {
    return invalid_argument(
        "--out needs a git repository: a saved plan names the commit it was "
        "made from, and " +
        repo.origin + " is not a commit");
  }
  PlanKey key = TRY_CONTEXT("plan key", PlanKey::load_or_create(state_dir));
  std::string identity = TRY(repo_identity(repo_path, repo.commit));
  return PlanWriter(out_path, std::move(key), std::move(identity));
}

Status PlanWriter::write(const state::Repo& repo, const std::vector<const state::Host*>& hosts,
                         const std::vector<HostReport>& reports,
                         const std::vector<std::string>& host_globs, int64_t now,
                         const secrets::SecretStore* secrets) const {
  SavedPlan plan = TRY(make_saved_plan(repo, m_identity, hosts, reports, m_key, now, secrets));
  plan.host_globs = host_globs;
  return write_atomically(m_out_path, write_saved_plan(plan, m_key));
}

Result<SavedPlan> load_plan_file(const std::string& path, const PlanKey& key,
                                 const std::string& repo_path, int64_t now,
                                 int64_t max_age_seconds) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read the plan " + path);
  std::stringstream text;
  text << in.rdbuf();
  SavedPlan plan = TRY(read_saved_plan(text.str(), path, key));
  TRY_CONTEXT(path, check_plan_age(plan, now, max_age_seconds));
  auto identity = repo_identity(repo_path, plan.commit);
  if (!identity && identity.error().code() == ErrorCode::kNotFound) {
    return failed_precondition(
        path + " was made from commit " + plan.commit + ", which is not in " + repo_path +
        ": a plan of another repository, or fetch it first (" + identity.error().message() + ")");
  }
  if (!identity) return std::move(identity).error();
  std::string head = TRY(head_identity(repo_path));
  if (*identity != plan.repo_identity || head != plan.repo_identity) {
    return failed_precondition(path + " was made from another repository (" + plan.origin +
                               ", first commit " + plan.repo_identity.substr(0, 12) + "); " +
                               repo_path + " starts at " + head.substr(0, 12));
  }
  return plan;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace reconcile

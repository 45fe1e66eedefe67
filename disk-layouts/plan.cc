#include "disk-layouts/plan.h"

namespace reconcile::disk {

bool DiskPlan::has_destructive() const {
  for (const DiskStep& step : steps) {
    if (step.destructive) return true;
  }
  return false;
}

Status check_destructive_allowed(const DiskPlan& plan, bool allow_destructive) {
  if (allow_destructive || !plan.has_destructive()) return ok();
  std::string message = "refusing destructive disk changes without --allow-destructive:";
  for (const DiskStep& step : plan.steps) {
    if (!step.destructive) continue;
    message += "\n  " + step.description + " (" + step.reason + ")";
    for (const std::string& loss : step.losses)
      message += "\n    would lose: " + loss;
  }
  return failed_precondition(message);
}

std::string format_plan(const DiskPlan& plan) {
  if (plan.empty()) return "no changes\n";
  std::string out;
  for (const DiskStep& step : plan.steps) {
    out += step.destructive ? "! " : "+ ";
    out += step.description + "\n    because " + step.reason + "\n";
    if (step.destructive) {
      out += "    DESTRUCTIVE, needs --allow-destructive\n";
      for (const std::string& loss : step.losses)
        out += "    would lose: " + loss + "\n";
    }
    if (step.secret_input) out += "    reads the secret '" + *step.secret_input + "'\n";
  }
  return out;
}

}  // namespace reconcile::disk

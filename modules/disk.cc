// disk: a host's `disk:` section planned by the disk layout planner
// (disk-layouts/planner.h). Each planned step becomes one change in the disk
// phase, chained so that a failed step stops the ones after it. A state the
// planner refuses to guess about refuses the whole host's plan.

#include "disk-layouts/planner.h"
#include "modules/module.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

std::vector<ProbeFragment> probe_disk(const state::Host& host) {
  if (!host.disk || !host.disk->model) return {};
  return {{"disk", disk::disk_probe_script(host.disk->devices, host.disk->mount_root)}};
}

Status parse_disk(const Sections& sections, const state::Host& host, HostFacts& facts) {
  if (!host.disk || !host.disk->model) return ok();
  auto it = sections.find("disk");
  if (it == sections.end()) return data_loss("no disk section in the probe output");
  facts.disk = TRY(disk::parse_disk_facts(it->second.text));
  return ok();
}

void diff_disk(const DiffContext& context, std::vector<Change>& changes) {
  const auto& assignment = context.host.disk;
  if (!assignment || !assignment->model || !context.facts.disk) return;
  disk::DiskTarget target{assignment->devices, assignment->mount_root};
  auto plan = disk::plan_disk(*assignment->model, target, *context.facts.disk);
  if (!plan) {
    context.refuse("disk layout '" + assignment->layout + "' on " +
                   join(assignment->devices, ", ") + ": " + plan.error().message());
    return;
  }
  for (size_t i = 0; i < plan->steps.size(); ++i) {
    const disk::DiskStep& step = plan->steps[i];
    Change change;
    change.module = "disk";
    change.resource = "disk " + step.device + ": " + step.description;
    change.key = "disk:" + std::to_string(i);
    change.phase = Phase::kDisk;
    change.action = step.destructive ? Action::kRemove : Action::kUpdate;
    change.destructive = step.destructive;
    change.reason = step.reason;
    for (const auto& loss : step.losses)
      change.fields.push_back(field("would lose", loss, ""));
    if (i > 0) change.requires_keys.push_back("disk:" + std::to_string(i - 1));
    change.script = step.script;
    if (step.secret_input) {
      // LUKS keys come from the secrets store; until it delivers them the
      // step cannot run, and says so instead of running without its key.
      change.sensitive = true;
      change.script = "echo 'disk step needs the key of secret " + *step.secret_input +
                      ", which this run has not decrypted' >&2\nexit 1\n";
    }
    changes.push_back(std::move(change));
  }
}

}  // namespace reconcile::modules

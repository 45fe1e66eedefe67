// disk: a host's `disk:` section planned by the disk layout planner
// (disk-layouts/planner.h). Each planned step becomes one change in the disk
// phase, chained so that a failed step stops the ones after it. A state the
// planner refuses to guess about refuses the whole host's plan.

#include "disk-layouts/planner.h"
#include "modules/module.h"
#include "reconciler/base/strings.h"
#include "secrets/store.h"

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
      // The LUKS key, decrypted by the controller, goes to the script on
      // stdin (it keeps it in a private tmpfs file, never on the disk).
      change.sensitive = true;
      const std::string source = disk::luks_key_source(*step.secret_input);
      const secrets::SecretStore::Entry* entry =
          context.secrets != nullptr ? context.secrets->find(source) : nullptr;
      if (entry == nullptr || !entry->plaintext) {
        std::string why = entry == nullptr ? "it was not decrypted in this run" : entry->error;
        context.refuse("disk layout '" + assignment->layout + "': the LUKS key '" +
                       *step.secret_input + "' (" + source + ") cannot be read: " + why);
        return;
      }
      change.secret_input = entry->plaintext;
    }
    changes.push_back(std::move(change));
  }
}

}  // namespace reconcile::modules

#include "driver/sync_count.hpp"

#include "driver/program_driver.hpp"
#include "model/prepared_run.hpp"

namespace schedcheck {
namespace {

// Executes nothing; host reads see the value a correct run would (it drives MoE selection).
class CallOnlyExecutor final : public Executor {
 public:
  void host_op(const Operation& op) override { remember(op); }
  void blocking_op(AgentId, const Operation& op) override { remember(op); }
  void enqueue(AgentId, const Operation&) override {}
  void host_wait_queue(AgentId, const CallSite&) override {}
  void record_event(EventId, AgentId, const CallSite&) override {}
  void queue_wait_event(AgentId, EventId, const CallSite&) override {}
  void host_wait_event(EventId, const CallSite&) override {}
  LogicalValue observed_value() override { return last_; }

 private:
  void remember(const Operation& op) {
    for (const Access& a : op.accesses)
      if (!a.is_write) {
        last_ = a.value;
        return;
      }
  }
  LogicalValue last_;
};

}  // namespace

int count_syncs(const Scenario& s, const Policy& policy) {
  Policy all_kept = policy;
  all_kept.skipped_syncs.clear();
  const PreparedRun run = prepare_run(s, all_kept);
  CallOnlyExecutor exec;
  BackendApi api(run.scenario, run.layout, exec);
  run_scenario(run, api);
  return api.syncs_numbered();
}

}  // namespace schedcheck

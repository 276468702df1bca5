// What the brute-force oracle found, in words (for test failures and --verbose output).
#include <sstream>

#include "properties/brute_force_oracle.hpp"
#include "properties/oracle_memory.hpp"

namespace schedcheck {
namespace {

std::string value_text(const LogicalValue& v) {
  if (oracle::is_unknown(v)) return "unknown";
  std::ostringstream out;
  out << "tensor " << v.tensor << " eval " << v.eval;
  return out.str();
}

}  // namespace

const OracleMismatch* OracleResult::first_mismatch() const {
  return mismatches.empty() ? nullptr : &mismatches.front();
}

const OraclePair* OracleResult::first_reorderable() const {
  for (const OraclePair& p : pairs)
    if (p.reorderable()) return &p;
  return nullptr;
}

std::string describe(const OracleResult& r) {
  std::ostringstream out;
  out << (r.exhaustive ? "exhaustive" : "NOT exhaustive") << ", " << r.states_explored
      << " states, " << r.terminal_states << " terminal states, " << r.complete_orders
      << " orders (" << r.mismatching_orders << " with a wrong read), " << r.pairs.size()
      << " conflicting pairs\n";
  if (const OracleMismatch* m = r.first_mismatch())
    out << "  first wrong read: entry " << m->read.op << " access " << m->read.access << " bytes ["
        << m->begin << ", " << m->end << ") of buffer " << m->buffer << " saw "
        << value_text(m->seen) << ", expected " << value_text(m->expected) << "\n";
  if (const OraclePair* p = r.first_reorderable())
    out << "  first reorderable pair: entry " << p->first.op << " access " << p->first.access
        << " (agent " << p->first_agent << ") and entry " << p->second.op << " access "
        << p->second.access << " (agent " << p->second_agent << "), bytes [" << p->begin << ", "
        << p->end << ") of buffer " << p->buffer << "\n";
  return out.str();
}

}  // namespace schedcheck

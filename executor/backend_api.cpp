#include "executor/backend_api.hpp"

#include <algorithm>

namespace schedcheck {

std::string call_pattern(const std::vector<HostCall>& calls, std::string_view skip) {
  std::string out;
  for (const auto& c : calls)
    if (skip.find(c.letter) == std::string_view::npos) out += c.letter;
  return out;
}

Access access_of(const TensorView& v, bool is_write, int from_read) {
  Access a;
  a.is_write = is_write;
  a.region = v.region;
  a.value = v.expected;
  a.tensor = v.tensor;
  a.copy = v.copy;
  a.slot = v.slot;
  a.from_read = from_read;
  a.tensor_offset = v.tensor_offset;
  return a;
}

TensorView sub_view(const TensorView& v, uint64_t offset, uint64_t size) {
  TensorView part = v;
  part.region = Region{v.region.buffer, v.region.offset + offset, size};
  part.tensor_offset = v.tensor_offset + offset;
  part.parts.clear();
  return part;
}

std::vector<TensorView> value_parts(const TensorView& v) {
  if (v.parts.empty()) return {v};
  std::vector<TensorView> out;
  out.reserve(v.parts.size());
  for (const ViewPart& p : v.parts) {
    out.push_back(sub_view(v, p.offset, p.size));
    out.back().expected = p.expected;
  }
  return out;
}

int append_reads(Operation& op, const TensorView& v) {
  const int first = static_cast<int>(op.accesses.size());
  if (v.parts.empty()) {  // the common case: no vector of parts to build
    op.accesses.push_back(access_of(v, false));
    return first;
  }
  for (const TensorView& part : value_parts(v)) op.accesses.push_back(access_of(part, false));
  return first;
}

bool BackendApi::next_sync(int& id) {
  id = sync_count_++;
  return std::find(suppressed_.begin(), suppressed_.end(), id) == suppressed_.end();
}

void BackendApi::enqueue_compute_queue(Index b, const Operation& op) {
  if (layout_.caps[b].event_wait_drops_recorded)
    recorded_[b].push_back(op);
  else
    enqueue_own(b, op);
}

void BackendApi::enqueue_own(Index b, const Operation& op) {
  executor_.enqueue(layout_.queue_of[b], op);
  note_command(b, op.site);
}

void BackendApi::note_command(Index b, const CallSite& site) {
  if (layout_.last_command_event_of[b] >= 0)
    executor_.record_event(layout_.last_command_event_of[b], layout_.queue_of[b], site);
}

void BackendApi::wait_own_queues(Index b, const CallSite& site) {
  if (layout_.last_command_event_of[b] >= 0)  // a shared queue: this backend's last command
    executor_.host_wait_event(layout_.last_command_event_of[b], site);
  else
    executor_.host_wait_queue(layout_.queue_of[b], site);
  if (layout_.transfer_queue_of[b] >= 0)
    executor_.host_wait_queue(layout_.transfer_queue_of[b], site);
}

void BackendApi::submit_recorded(Index b) {
  auto it = recorded_.find(b);
  if (it == recorded_.end()) return;
  for (const Operation& op : it->second) enqueue_own(b, op);
  recorded_.erase(it);
}

void BackendApi::synchronize(Index b, const CallSite& site) {
  if (!layout_.caps[b].async_queue) return;  // CPU/BLAS: no synchronize member, a no-op
  int id;
  if (!next_sync(id)) return;
  submit_recorded(b);
  wait_own_queues(b, site);
  log('s', site, id);
}

void BackendApi::event_record(EventId e, Index b, const CallSite& site) {
  submit_recorded(b);
  executor_.record_event(e, layout_.queue_of[b], site);
  note_command(b, site);
  log('r', site);
}

void BackendApi::event_wait(Index b, EventId e, const CallSite& site) {
  if (layout_.caps[b].event_wait_drops_recorded) {
    // The context holding the wait and everything recorded before it is ended, not submitted:
    // no synchronization at all, so not one the required-sync analysis may leave out.
    recorded_.erase(b);
    log('w', site);
    return;
  }
  int id;
  if (!next_sync(id)) return;
  executor_.queue_wait_event(layout_.queue_of[b], e, site);
  note_command(b, site);
  if (layout_.transfer_queue_of[b] >= 0 && layout_.caps[b].transfer_queue_waits_events)
    executor_.queue_wait_event(layout_.transfer_queue_of[b], e, site);
  log('w', site, id);
}

void BackendApi::event_synchronize(EventId e, const CallSite& site) {
  int id;
  if (!next_sync(id)) return;
  executor_.host_wait_event(e, site);
  log('e', site, id);
}

Operation BackendApi::copy_op(const TensorView& src, const TensorView& dst,
                              const CallSite& site) const {
  Operation op;
  op.kind = OpKind::copy;
  op.site = site;
  // One read and one write per value part: each part's write carries what its read saw.
  auto copy_part = [&](const TensorView& part, const TensorView& to) {
    const int read = static_cast<int>(op.accesses.size());
    op.accesses.push_back(access_of(part, false));
    Access write = access_of(to, true, read);
    write.value = part.expected;  // a copy produces what it reads
    op.accesses.push_back(write);
  };
  if (src.parts.empty()) {
    copy_part(src, dst);  // the common case: no vector of parts to build
    return op;
  }
  for (const TensorView& part : value_parts(src))
    copy_part(part, sub_view(dst, part.region.offset - src.region.offset, part.region.size));
  return op;
}

void BackendApi::blocking(Index device_backend, const Operation& op, char letter) {
  AgentId stream = device_backend == kNone ? -1 : layout_.blocking_stream_of[device_backend];
  if (stream < 0) {
    executor_.host_op(op);
    log(letter, op.site);
    return;
  }
  CallSite wait = op.site;
  wait.implicit = true;
  if (stream == layout_.queue_of[device_backend]) {
    // Metal private buffers: a blit committed on the backend's own queue, waited for at once.
    submit_recorded(device_backend);
    executor_.enqueue(stream, op);
    executor_.host_wait_queue(stream, wait);
  } else {
    executor_.blocking_op(stream, op);
  }
  log(letter, op.site);
  log('s', wait);  // cudaStreamSynchronize(cudaStreamPerThread), or the blit's wait
}

void BackendApi::tensor_copy(const TensorView& src, const TensorView& dst, const CallSite& site) {
  if (src.region == dst.region) return;
  Operation op = copy_op(src, dst, site);
  const bool src_host = is_host(src.region);
  const bool dst_host = is_host(dst.region);
  if (src_host && dst_host) return blocking(kNone, op, 'a');
  if (src_host) return blocking(scenario_.buffers[dst.region.buffer].owner, op, 'a');  // tensor_set
  if (dst_host) return blocking(scenario_.buffers[src.region.buffer].owner, op, 'a');  // tensor_get
  // Device to device: the destination buffer's cpy_tensor on its device's hidden stream.
  blocking(scenario_.buffers[dst.region.buffer].owner, op, 'a');
}

void BackendApi::enqueue_host_transfer(Index backend, AgentId queue, HostTransfer timing,
                                       Operation op, const CallSite& site) {
  op.reads_at_call = timing == HostTransfer::captured_at_call;
  if (queue == layout_.queue_of[backend] && timing != HostTransfer::blocks_host) {
    enqueue_compute_queue(backend, op);
  } else {
    submit_recorded(backend);  // a blocking transfer synchronizes: the context is submitted
    if (queue == layout_.queue_of[backend])
      enqueue_own(backend, op);
    else
      executor_.enqueue(queue, op);
  }
  if (queue == layout_.transfer_queue_of[backend]) {
    // The compute queue waits for the transfer queue by semaphore before its next work.
    executor_.record_event(layout_.transfer_event_of[backend], queue, site);
    executor_.queue_wait_event(layout_.queue_of[backend], layout_.transfer_event_of[backend], site);
  }
  if (timing == HostTransfer::blocks_host) {
    CallSite wait = site;
    wait.implicit = true;
    if (queue == layout_.queue_of[backend])
      executor_.host_wait_queue(queue, wait);
    else
      wait_own_queues(backend, wait);  // Vulkan's staged upload ends in ggml_vk_synchronize
  }
}

bool BackendApi::cpy_tensor_async(Index bs, Index bd, const TensorView& src, const TensorView& dst,
                                  const CallSite& site) {
  const Capabilities& c = layout_.caps[bd];
  if (!c.cpy_async_member || !c.async_queue) return false;
  const Buffer& sbuf = scenario_.buffers[src.region.buffer];
  const Buffer& dbuf = scenario_.buffers[dst.region.buffer];
  if (dbuf.kind != BufferKind::device || dbuf.owner != bd) return false;

  if (is_host_buffer(sbuf.kind)) {
    if (!c.cpy_async_from_host) return false;
    const bool pinned = is_pinned_for(src.region, bd);
    if (c.cpy_async_from_host_pinned_only) {
      if (!pinned) return false;  // Vulkan: registered for this device; the source backend aside
    } else if (scenario_.backends[bs].kind != BackendKind::cpu) {
      return false;  // CUDA's copy_from_host: a source backend of device type CPU only
    }
    HostTransfer timing = pinned ? c.set_async_pinned : c.set_async_pageable;
    enqueue_host_transfer(bd, upload_queue(bd, dst.region.size), timing, copy_op(src, dst, site),
                          site);
    log('a', site);
    return true;
  }

  if (!accepts_device_copy(bs, bd, src, dst)) return false;
  Operation op = copy_op(src, dst, site);
  if (c.device_copy_queue == CopyQueue::destination) {
    enqueue_compute_queue(bd, op);
  } else {
    // Copy on the source queue, then the destination waits on the source's copy event.
    enqueue_own(bs, op);
    executor_.record_event(layout_.copy_event_of[bs], layout_.queue_of[bs], site);
    executor_.queue_wait_event(layout_.queue_of[bd], layout_.copy_event_of[bs], site);
  }
  log('a', site);
  return true;
}

bool BackendApi::accepts_device_copy(Index bs, Index bd, const TensorView& src,
                                     const TensorView& dst) const {
  const Capabilities& c = layout_.caps[bd];
  if (!c.cpy_async_member || !c.async_queue) return false;
  const Buffer& sbuf = scenario_.buffers[src.region.buffer];
  const Buffer& dbuf = scenario_.buffers[dst.region.buffer];
  if (dbuf.kind != BufferKind::device || dbuf.owner != bd) return false;
  const Backend& s_be = scenario_.backends[bs];
  const Backend& d_be = scenario_.backends[bd];
  // CUDA, HIP and MUSA are separate builds: a device source must be of the same kind.
  if (sbuf.kind != BufferKind::device || !c.cpy_async_device || s_be.kind != d_be.kind ||
      sbuf.owner != bs || layout_.queue_of[bs] < 0)
    return false;
  if (c.cpy_async_same_device_only && s_be.device != d_be.device) return false;
  // A source whose overrides take away its copies has no copy event to record.
  return c.device_copy_queue != CopyQueue::source_then_event || layout_.copy_event_of[bs] >= 0;
}

bool BackendApi::device_copy_on_source_queue(Index bs, Index bd, const TensorView& src,
                                             const TensorView& dst) const {
  return accepts_device_copy(bs, bd, src, dst) &&
         layout_.caps[bd].device_copy_queue == CopyQueue::source_then_event;
}

void BackendApi::tensor_copy_async(Index bs, Index bd, const TensorView& src, const TensorView& dst,
                                   const CallSite& site) {
  if (src.region == dst.region) return;
  if (cpy_tensor_async(bs, bd, src, dst, site)) return;
  CallSite fallback = site;
  fallback.step = "tensor_copy_async fallback";
  synchronize(bs, fallback);
  synchronize(bd, fallback);
  fallback.call = Call::tensor_copy;  // the fallback is a blocking ggml_backend_tensor_copy
  tensor_copy(src, dst, fallback);
}

void BackendApi::set_tensor_async(Index b, const TensorView& host_src, const TensorView& dst,
                                  const CallSite& site) {
  const Capabilities& c = layout_.caps[b];
  if (c.set_get_async && c.async_queue) {
    HostTransfer timing =
        is_pinned_for(host_src.region, b) ? c.set_async_pinned : c.set_async_pageable;
    enqueue_host_transfer(b, upload_queue(b, dst.region.size), timing,
                          copy_op(host_src, dst, site), site);
    log('a', site);
    return;
  }
  if (c.async_fallback_syncs) synchronize(b, site);
  tensor_copy(host_src, dst, site);
}

void BackendApi::get_tensor_async(Index b, const TensorView& src, const TensorView& host_dst,
                                  const CallSite& site) {
  const Capabilities& c = layout_.caps[b];
  if (c.set_get_async && c.get_async_member && c.async_queue) {
    HostTransfer timing =
        is_pinned_for(host_dst.region, b) ? c.get_async_pinned : c.get_async_pageable;
    // Device-to-host: the host side is the destination, written when the item runs.
    if (timing == HostTransfer::captured_at_call) timing = HostTransfer::at_execution;
    enqueue_host_transfer(b, layout_.queue_of[b], timing, copy_op(src, host_dst, site), site);
    log('o', site);
    return;
  }
  if (c.async_fallback_syncs) synchronize(b, site);
  tensor_copy(src, host_dst, site);
}

void BackendApi::tensor_get(const TensorView& src, const CallSite& site) {
  Operation op;
  op.kind = OpKind::host_read;
  op.site = site;
  append_reads(op, src);
  Index owner = is_host(src.region) ? kNone : scenario_.buffers[src.region.buffer].owner;
  blocking(owner, op, 'a');
}

void BackendApi::tensor_set(const TensorView& dst, const CallSite& site) {
  Operation op;
  op.kind = OpKind::host_write;
  op.site = site;
  op.accesses.push_back(access_of(dst, true));
  Index owner = is_host(dst.region) ? kNone : scenario_.buffers[dst.region.buffer].owner;
  blocking(owner, op, 'a');
}

void BackendApi::buffer_free(Index buffer, const CallSite& site) {
  const Index owner = scenario_.buffers[buffer].owner;
  if (owner == kNone || !layout_.caps[owner].free_waits_for_device) return log('f', site);
  CallSite wait = site;
  wait.implicit = true;
  // The device's synchronization covers every backend of its API on that device.
  const Backend& freer = scenario_.backends[owner];
  for (Index b = 0; b < static_cast<Index>(scenario_.backends.size()); ++b) {
    const Backend& on = scenario_.backends[b];
    if (!layout_.caps[b].async_queue || on.device != freer.device || on.kind != freer.kind)
      continue;
    submit_recorded(b);
    wait_own_queues(b, wait);
  }
  log('f', site);
}

void BackendApi::graph_compute_async(Index b, Operation compute) {
  if (layout_.caps[b].async_queue) {
    submit_recorded(b);  // the graph is recorded into the live context, which it submits
    enqueue_own(b, compute);
    log('g', compute.site);
    if (layout_.caps[b].graph_compute_syncs) {
      // The backend's own synchronize inside graph_compute: not one the scheduler could leave out.
      CallSite wait = compute.site;
      wait.implicit = true;
      wait_own_queues(b, wait);
      log('s', wait);
    }
  } else {
    executor_.host_op(compute);  // CPU/BLAS run the graph to completion on the calling thread
    log('c', compute.site);
  }
}

void BackendApi::host_write(const TensorView& dst, const CallSite& site) {
  Operation op;
  op.kind = OpKind::host_write;
  op.site = site;
  op.accesses.push_back(access_of(dst, true));
  executor_.host_op(op);
  log('i', site);
}

void BackendApi::write_input(const TensorView& dst, Index source, uint64_t source_offset,
                             bool async, const CallSite& site) {
  const bool host = is_host(dst.region);
  if (source == kNone) return host ? host_write(dst, site) : tensor_set(dst, site);
  const TensorView src = fill_input_source(dst, source, source_offset, site);
  const Index b = host ? scenario_.cpu_backend() : scenario_.buffers[dst.region.buffer].owner;
  // ggml_backend_tensor_set_async without the member synchronizes the backend, then sets.
  if (async) return set_tensor_async(b, src, dst, site);
  tensor_copy(src, dst, site);
}

TensorView BackendApi::fill_input_source(const TensorView& dst, Index source,
                                         uint64_t source_offset, const CallSite& site) {
  TensorView src = dst;
  src.region = Region{source, source_offset, dst.region.size};
  src.copy = kNone;
  src.slot = 0;
  src.backend = scenario_.cpu_backend();
  src.parts.clear();
  CallSite fill = site;
  fill.step = kInputSourceStep;
  host_write(src, fill);
  return src;
}

void BackendApi::host_read(const TensorView& src, const CallSite& site) {
  Operation op;
  op.kind = OpKind::host_read;
  op.site = site;
  append_reads(op, src);
  executor_.host_op(op);
  log('h', site);
}

}  // namespace schedcheck

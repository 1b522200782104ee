// AXI4-Lite master transactions on a Verilated model with an rsnpu CSR slave port (s_*_i /
// s_*_o), driven one clock cycle at a time. The caller supplies how to advance one cycle
// (its own per-cycle phase, so everything else in the bench keeps running) and the response
// back-pressure (ready on a cycle or not).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace rsnpu::sim {

// Writes 'data' with byte strobes 'strb'; AW and W are offered together. Returns BRESP, or
// nullopt when no response came within 'max_cycles'.
template <typename Model, typename Eval, typename Step, typename Ready>
std::optional<int> axil_write(Model& d, Eval&& eval, Step&& step, Ready&& ready, uint32_t addr,
                              uint32_t data, uint32_t strb = 0xf, int max_cycles = 1000) {
  d.s_awvalid_i = 1;
  d.s_awaddr_i = addr;
  d.s_wvalid_i = 1;
  d.s_wdata_i = data;
  d.s_wstrb_i = strb;
  for (int i = 0; i < max_cycles; ++i) {
    d.s_bready_i = ready();
    eval();
    const bool aw_fire = d.s_awvalid_i && d.s_awready_o;
    const bool b_fire = d.s_bvalid_o && d.s_bready_i;
    const int resp = d.s_bresp_o;
    step();
    if (aw_fire) d.s_awvalid_i = d.s_wvalid_i = 0;
    if (b_fire) {
      d.s_bready_i = 0;
      return resp;
    }
  }
  return std::nullopt;
}

// Reads one register. Returns (data, RRESP), or nullopt when no response came.
template <typename Model, typename Eval, typename Step, typename Ready>
std::optional<std::pair<uint32_t, int>> axil_read(Model& d, Eval&& eval, Step&& step,
                                                  Ready&& ready, uint32_t addr,
                                                  int max_cycles = 1000) {
  d.s_arvalid_i = 1;
  d.s_araddr_i = addr;
  for (int i = 0; i < max_cycles; ++i) {
    d.s_rready_i = ready();
    eval();
    const bool ar_fire = d.s_arvalid_i && d.s_arready_o;
    const bool r_fire = d.s_rvalid_o && d.s_rready_i;
    const uint32_t data = d.s_rdata_o;
    const int resp = d.s_rresp_o;
    step();
    if (ar_fire) d.s_arvalid_i = 0;
    if (r_fire) {
      d.s_rready_i = 0;
      return std::make_pair(data, resp);
    }
  }
  return std::nullopt;
}

}  // namespace rsnpu::sim

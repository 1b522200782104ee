// Connects the AXI4 master ports of a Verilated model (axi_*_o / axi_*_i, as rsnpu_dma names
// them) to the AxiPins of the C++ DRAM model. Per cycle: dram.drive(pins);
// slave_to_master(pins, dut); <drive other inputs>; eval(); master_to_pins(dut, pins);
// dram.edge(pins); tick().
#pragma once

#include "rsnpu/sim/axi_dram.h"

namespace rsnpu::sim {

template <typename Model>
void slave_to_master(const AxiPins& p, Model& m) {
  m.axi_arready_i = p.arready;
  m.axi_rvalid_i = p.rvalid;
  m.axi_rdata_i = p.rdata;
  m.axi_rresp_i = p.rresp;
  m.axi_rlast_i = p.rlast;
  m.axi_rid_i = p.rid;
  m.axi_awready_i = p.awready;
  m.axi_wready_i = p.wready;
  m.axi_bvalid_i = p.bvalid;
  m.axi_bresp_i = p.bresp;
  m.axi_bid_i = p.bid;
}

template <typename Model>
void master_to_pins(const Model& m, AxiPins& p) {
  p.arvalid = m.axi_arvalid_o;
  p.araddr = m.axi_araddr_o;
  p.arlen = m.axi_arlen_o;
  p.arsize = m.axi_arsize_o;
  p.arburst = m.axi_arburst_o;
  p.arid = m.axi_arid_o;
  p.rready = m.axi_rready_o;
  p.awvalid = m.axi_awvalid_o;
  p.awaddr = m.axi_awaddr_o;
  p.awlen = m.axi_awlen_o;
  p.awsize = m.axi_awsize_o;
  p.awburst = m.axi_awburst_o;
  p.awid = m.axi_awid_o;
  p.wvalid = m.axi_wvalid_o;
  p.wdata = m.axi_wdata_o;
  p.wstrb = m.axi_wstrb_o;
  p.wlast = m.axi_wlast_o;
  p.bready = m.axi_bready_o;
}

}  // namespace rsnpu::sim

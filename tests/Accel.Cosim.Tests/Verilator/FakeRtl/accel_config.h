// Configuration of the fake accel_top (FakeRtl/accel_top.sv with its default parameters), in the
// form the RTL generator emits next to the real design.
#pragma once
#define ACCEL_ROWS 2
#define ACCEL_COLS 2
#define ACCEL_HOST_BITS 128
#define ACCEL_ACT_BITS 16
#define ACCEL_DRAM_BITS 64
#define ACCEL_DRAM_BURST_BEATS 16
#define ACCEL_CONFIG_HASH "fake-2x2"

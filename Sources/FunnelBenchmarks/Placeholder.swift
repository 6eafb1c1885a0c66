// placeholder until the GEMM benchmark lands

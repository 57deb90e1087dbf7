// Weight upload: repacks ggml blocks (the raw bytes of a GGUF tensor, already copied to the device) into the split layout
// of common.cuh: a value array whose rows are 16-byte aligned and a separate array of block scales.
//   Q8_0 block (34 bytes) = f16 d, 32 × int8      -> values int8[32] at 32b, scales half at b
//   MXFP4 block (17 bytes) = E8M0 e, 16 nibble bytes -> values uint8[16] at 16b, scales uint8 at b
// One thread per output 32-bit word (raw blocks are not aligned, so the raw side is read byte by byte).
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
tsr_repack_q8_0(const uint8_t* __restrict__ raw, uint32_t* __restrict__ values, uint16_t* __restrict__ scales, long long blocks)
{
    const long long words = blocks * 8;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < words; i += (long long)gridDim.x * blockDim.x)
    {
        const long long b = i >> 3;
        const int w = (int)(i & 7);
        const uint8_t* p = raw + b * 34;
        const uint8_t* q = p + 2 + 4 * w;
        values[i] = (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24);
        if (w == 0) scales[b] = (uint16_t)(p[0] | (p[1] << 8));
    }
}

extern "C" __global__ void __launch_bounds__(256)
tsr_repack_mxfp4(const uint8_t* __restrict__ raw, uint32_t* __restrict__ values, uint8_t* __restrict__ scales, long long blocks)
{
    const long long words = blocks * 4;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < words; i += (long long)gridDim.x * blockDim.x)
    {
        const long long b = i >> 2;
        const int w = (int)(i & 3);
        const uint8_t* p = raw + b * 17;
        const uint8_t* q = p + 1 + 4 * w;
        values[i] = (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24);
        if (w == 0) scales[b] = p[0];
    }
}

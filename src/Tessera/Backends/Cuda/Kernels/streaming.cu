// Plain streaming matrix-vector kernels, an alternative decode path measured against matvec.cu's (TESSERA_CUDA_STREAMING=1):
// a warp per output row (for gate-up: the gate row and the up row of one expert slot), every lane one 16-byte block of
// 32 MXFP4 values at a time, x read through the read-only cache (no shared-memory staging, no barriers), and grids
// large enough for several resident blocks per SM. MXFP4 values are decoded with integer ops and one multiply: the
// 3 magnitude bits of a nibble placed at f32 bits 24..22 (sign at bit 31) make E2M1 × 2^-126 exactly (e = 0 an f32
// denormal), times 2^127 = ggml's doubled value. fp32 accumulation per block, times the block's 2^(e − 128).
#include "common.cuh"

__device__ __forceinline__ float st_fp4(uint32_t nibble)
{
    const uint32_t bits = ((nibble & 7u) << 22) | ((nibble & 8u) << 28);
    return __int_as_float(bits) * 0x1p127f;
}

__device__ __forceinline__ uint4 st_load(const void* p)
{
    uint4 v;
    asm volatile("ld.global.nc.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}

// Σ over one 32-value MXFP4 block: 16 bytes (byte j: value j low nibble, value j + 16 high nibble) against x[0..31].
__device__ __forceinline__ float st_block(uint4 w, const float* __restrict__ x)
{
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        const float4 lo = __ldg(reinterpret_cast<const float4*>(x) + i);
        const float4 hi = __ldg(reinterpret_cast<const float4*>(x + 16) + i);
        const uint32_t v = words[i];
        s = fmaf(st_fp4(v), lo.x, s);
        s = fmaf(st_fp4(v >> 4), hi.x, s);
        s = fmaf(st_fp4(v >> 8), lo.y, s);
        s = fmaf(st_fp4(v >> 12), hi.y, s);
        s = fmaf(st_fp4(v >> 16), lo.z, s);
        s = fmaf(st_fp4(v >> 20), hi.z, s);
        s = fmaf(st_fp4(v >> 24), lo.w, s);
        s = fmaf(st_fp4(v >> 28), hi.w, s);
    }
    return s;
}

// Grid (⌈R/8⌉, slots) × 256: warp w of block b computes row 8b + w of slot blockIdx.y's expert, gate and up, then
// act[q·R + r] = swiglu_oai(gate + bg, up + bu). Slots whose id is outside [0, E) are left unwritten.
extern "C" __global__ void __launch_bounds__(256) tsr_gate_up_streaming_mxfp4(
    const uint8_t* __restrict__ gv, const uint8_t* __restrict__ gs, const uint8_t* __restrict__ uv, const uint8_t* __restrict__ us,
    int K, int R, int E, const float* __restrict__ bg, const float* __restrict__ bu, const float* __restrict__ x,
    const int* __restrict__ ids, int k, float* __restrict__ act, float alpha, float limit)
{
    const int lane = threadIdx.x & 31, r = blockIdx.x * 8 + (threadIdx.x >> 5), q = blockIdx.y;
    if (r >= R) return;
    const int e = ids[q];
    if (e < 0 || e >= E) return;
    const size_t row = (size_t)e * R + r;
    const int nb = K / 32;
    const float* xr = x + (size_t)(q / k) * K;
    const uint8_t* g = gv + row * (size_t)(K / 2);
    const uint8_t* u = uv + row * (size_t)(K / 2);
    float ag = 0.f, au = 0.f;
    for (int b = lane; b < nb; b += 32)
    {
        const uint4 wg = st_load(g + 16 * (size_t)b), wu = st_load(u + 16 * (size_t)b);
        const float sg = tsr_e8m0_half(__ldg(gs + row * nb + b)), su = tsr_e8m0_half(__ldg(us + row * nb + b));
        ag = fmaf(st_block(wg, xr + 32 * b), sg, ag);
        au = fmaf(st_block(wu, xr + 32 * b), su, au);
    }
    ag = tsr_warp_sum(ag);
    au = tsr_warp_sum(au);
    if (lane != 0) return;
    const size_t bi = (size_t)e * R + r;
    const float gl = fminf(ag + (bg ? bg[bi] : 0.f), limit);
    const float ul = fminf(fmaxf(au + (bu ? bu[bi] : 0.f), -limit), limit);
    act[(size_t)q * R + r] = gl / (1.f + expf(alpha * -gl)) * (ul + 1.f);
}

// Grid (⌈R/8⌉, T) × 256: warp w of block b computes output row 8b + w of token t over its k slots in order,
// h[t·R + r] += ((w0·y0 + w1·y1) + w2·y2) + ..., y_j = W_{e_j}[r]·act[t·k + j] + bias[e_j·R + r].
extern "C" __global__ void __launch_bounds__(256) tsr_down_add_streaming_mxfp4(
    const uint8_t* __restrict__ dv, const uint8_t* __restrict__ ds, int K, int R, int E, const float* __restrict__ bias,
    const float* __restrict__ act, const int* __restrict__ ids, const float* __restrict__ weights, int k, float* h)
{
    const int lane = threadIdx.x & 31, r = blockIdx.x * 8 + (threadIdx.x >> 5), t = blockIdx.y;
    if (r >= R) return;
    const int nb = K / 32;
    float sum = 0.f;
    for (int j = 0; j < k; j++)
    {
        const int q = t * k + j, e = ids[q];
        if (e < 0 || e >= E) continue;
        const size_t row = (size_t)e * R + r;
        const uint8_t* d = dv + row * (size_t)(K / 2);
        const float* xr = act + (size_t)q * K;
        float a = 0.f;
        for (int b = lane; b < nb; b += 32)
        {
            const uint4 w = st_load(d + 16 * (size_t)b);
            a = fmaf(st_block(w, xr + 32 * b), tsr_e8m0_half(__ldg(ds + row * nb + b)), a);
        }
        a = tsr_warp_sum(a);
        const float y = a + (bias ? bias[row] : 0.f);
        sum = j == 0 ? weights[q] * y : sum + weights[q] * y;
    }
    if (lane == 0) h[(size_t)t * R + r] += sum;
}

// Element-wise and row kernels of the forward pass (gpt-oss-facts.md §4): RMSNorm, residual adds, biases, SwiGLU-OAI,
// the weighted sum of expert outputs, NEOX RoPE (alone, or fused with the KV-cache store), cache row stores and the
// embedding lookup. Each follows its CPU reference in Backends/Cpu (F32RmsNorm, F32SwiGluOai, F32Arithmetic,
// YarnRope.RotateNeox, BlockFormats) operation for operation: explicit __fmul_rn/__fadd_rn/fmaf where the reference has
// a rounded product, a sum or an FMA, so that nvcc's contraction cannot change the bits.
#include "common.cuh"

// One block per row t of x [T × n]: y = x / sqrt(mean(x²) + eps) · w, the squares summed in double (the reference sums
// them in double, in order; any order of doubles agrees with it to far below float precision). y may equal x: each
// thread reads and writes only its own elements.
extern "C" __global__ void tsr_rmsnorm(const float* x, const float* __restrict__ w, float* y, int n, float eps)
{
    TSR_PDL_ENTRY();
    __shared__ double partial[32];
    const float* row = x + (long long)blockIdx.x * n;
    float* out = y + (long long)blockIdx.x * n;
    double sum = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        float v = row[i];
        sum += (double)__fmul_rn(v, v);
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) partial[warp] = sum;
    __syncthreads();
    if (warp == 0)
    {
        double s = lane < warps ? partial[lane] : 0.0;
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        if (lane == 0) partial[0] = s;
    }
    __syncthreads();
    float mean = (float)(partial[0] / n);
    float scale = 1.0f / sqrtf(mean + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = __fmul_rn(__fmul_rn(row[i], scale), w[i]);
}

// The block-wide sum of one float per thread (every thread gets it): warp sums, then each warp adds the warps' sums in
// warp order (fixed shape: deterministic). One __syncthreads; red must not be reused before another barrier.
__device__ __forceinline__ float tsr_block_sum_all(float v, float* red)
{
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = (blockDim.x + 31) >> 5;
    v = tsr_warp_sum(v);
    if (lane == 0) red[warp] = v;
    __syncthreads();
    return tsr_warp_sum(lane < warps ? red[lane] : 0.f);
}

// RMSNorm of rows of n = 4·n4 floats with 16-byte accesses (x, w, y 16-byte aligned), one block per row of up to 1024
// threads: each thread keeps its first group of x and w in registers (the launcher gives a thread per group up to 4,096
// floats, so decode rows need one round of loads), squares summed in float (a tree of partial sums: relative error far
// below the 1e-5 the reference is held to), scaled as the reference (x·scale, then ·w, each rounded). y may equal x.
extern "C" __global__ void __launch_bounds__(1024)
tsr_rmsnorm4(const float4* x, const float4* __restrict__ w, float4* y, int n4, float eps)
{
    TSR_PDL_ENTRY();
    __shared__ float red[32];
    const float4* row = x + (long long)blockIdx.x * n4;
    float4* out = y + (long long)blockIdx.x * n4;
    const int tid = threadIdx.x;
    float4 v0 = make_float4(0.f, 0.f, 0.f, 0.f), w0 = v0;
    if (tid < n4)
    {
        v0 = row[tid];
        w0 = w[tid];
    }
    float sum = fmaf(v0.x, v0.x, fmaf(v0.y, v0.y, fmaf(v0.z, v0.z, __fmul_rn(v0.w, v0.w))));
    for (int i = tid + blockDim.x; i < n4; i += blockDim.x)
    {
        float4 v = row[i];
        sum += fmaf(v.x, v.x, fmaf(v.y, v.y, fmaf(v.z, v.z, __fmul_rn(v.w, v.w))));
    }
    sum = tsr_block_sum_all(sum, red);
    float scale = 1.0f / sqrtf(__fdiv_rn(sum, (float)(4 * n4)) + eps);
    if (tid < n4)
        out[tid] = make_float4(__fmul_rn(__fmul_rn(v0.x, scale), w0.x), __fmul_rn(__fmul_rn(v0.y, scale), w0.y),
                               __fmul_rn(__fmul_rn(v0.z, scale), w0.z), __fmul_rn(__fmul_rn(v0.w, scale), w0.w));
    for (int i = tid + blockDim.x; i < n4; i += blockDim.x)
    {
        float4 v = row[i], g = w[i];
        out[i] = make_float4(__fmul_rn(__fmul_rn(v.x, scale), g.x), __fmul_rn(__fmul_rn(v.y, scale), g.y),
                             __fmul_rn(__fmul_rn(v.z, scale), g.z), __fmul_rn(__fmul_rn(v.w, scale), g.w));
    }
}

// x += addend over n floats (grid-stride).
extern "C" __global__ void tsr_add(float* x, const float* __restrict__ addend, long long n)
{
    TSR_PDL_ENTRY();
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        x[i] = __fadd_rn(x[i], addend[i]);
}

// The same with 16-byte loads, for n4 groups of four floats (both pointers 16-byte aligned).
extern "C" __global__ void tsr_add4(float4* x, const float4* __restrict__ addend, long long n4)
{
    TSR_PDL_ENTRY();
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n4; i += (long long)gridDim.x * blockDim.x)
    {
        float4 a = x[i], b = addend[i];
        x[i] = make_float4(__fadd_rn(a.x, b.x), __fadd_rn(a.y, b.y), __fadd_rn(a.z, b.z), __fadd_rn(a.w, b.w));
    }
}

// Grid (⌈n/block⌉, T): x[t·n + i] += bias[i].
extern "C" __global__ void tsr_add_bias(float* x, const float* __restrict__ bias, int n)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long at = (long long)blockIdx.y * n + i;
    x[at] = __fadd_rn(x[at], bias[i]);
}

// Grid (⌈n/block⌉, slots): x[q·n + i] += bias[ids[q]·n + i].
extern "C" __global__ void tsr_add_expert_bias(float* x, const float* __restrict__ bias, const int* __restrict__ ids, int n)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long at = (long long)blockIdx.y * n + i;
    x[at] = __fadd_rn(x[at], bias[(long long)ids[blockIdx.y] * n + i]);
}

// out[i] = map[ids[i]] for ids inside [0, E), else −1: expert ids as indices into a weight that holds some of the experts
// (the GPU's share of a layer split between GPU and CPU); −1 makes the expert kernels skip the slot.
extern "C" __global__ void tsr_remap_ids(const int* __restrict__ ids, const int* __restrict__ map, int* out, int n, int E)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int e = ids[i];
    out[i] = e >= 0 && e < E ? map[e] : -1;
}

// y = g·σ(α·g)·(u + 1), g = min(gate, limit), u = clamp(up, −limit, limit), computed as the reference: g / (1 + expf(α·−g))
// · (u + 1) (expf, not __expf).
extern "C" __global__ void tsr_swiglu(const float* __restrict__ gate, const float* __restrict__ up, float* y, long long n,
                                      float alpha, float limit)
{
    TSR_PDL_ENTRY();
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float g = fminf(gate[i], limit);
        float u = fminf(fmaxf(up[i], -limit), limit);
        float e = expf(__fmul_rn(alpha, -g));
        y[i] = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, e)), __fadd_rn(u, 1.0f));
    }
}

// Grid (⌈n/block⌉, T): out[t·n + i] = w[t·k]·ex[t·k] + w[t·k+1]·ex[t·k+1] + ... in slot order, each product rounded
// before its sum (F32Arithmetic.Scale then AddScaled).
extern "C" __global__ void tsr_weighted_sum(const float* __restrict__ experts, const float* __restrict__ weights, float* output,
                                            int n, int k)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long t = blockIdx.y;
    const float* wt = weights + t * k;
    float sum = __fmul_rn(experts[t * k * n + i], wt[0]);
    for (int j = 1; j < k; j++) sum = __fadd_rn(sum, __fmul_rn(experts[(t * k + j) * n + i], wt[j]));
    output[t * n + i] = sum;
}

// NEOX rotation of pair i of one head: table holds cos·m, sin·m interleaved (YarnRope.CosSin), as YarnRope.RotateNeox.
__device__ __forceinline__ void tsr_rotate_pair(float* head, const float* __restrict__ table, int i, int half)
{
    float c = table[2 * i], s = table[2 * i + 1];
    float x0 = head[i], x1 = head[i + half];
    head[i] = fmaf(x0, c, -__fmul_rn(x1, s));
    head[i + half] = fmaf(x0, s, __fmul_rn(x1, c));
}

// Grid (⌈(qHeads + kvHeads)/warps⌉, T), a warp per head of row t: heads below qHeads are q heads (roped in place), the
// others k heads (roped in place, then stored with the matching v head to cache row slots[t], as F16 (__float2half_rn)
// or F32). Lane i takes pairs i, i + 32, ... The same arithmetic as tsr_rope_store, spread over the GPU.
extern "C" __global__ void __launch_bounds__(128)
tsr_rope_store_heads(float* q, float* k, const float* __restrict__ v, const int* __restrict__ positions,
                     const float* __restrict__ table, int qHeads, int kvHeads, int d, void* keyCache, void* valueCache,
                     const int* __restrict__ slots, int f16)
{
    TSR_PDL_ENTRY();
    const int head = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (head >= qHeads + kvHeads) return;
    const long long t = blockIdx.y;
    const int half = d >> 1, width = kvHeads * d;
    const bool isQ = head < qHeads;
    const int kh = head - qHeads;
    float* x = isQ ? q + (t * qHeads + head) * d : k + t * width + (long long)kh * d;
    const float* tab = table + (long long)positions[t] * d;
    if (isQ)
    {
        for (int i = lane; i < half; i += 32) tsr_rotate_pair(x, tab, i, half);
        return;
    }
    const long long cacheRow = (long long)slots[t] * width + (long long)kh * d;
    const float* vRow = v + t * width + (long long)kh * d;
    for (int i = lane; i < half; i += 32)
    {
        float c = tab[2 * i], sn = tab[2 * i + 1];
        float x0 = x[i], x1 = x[i + half];
        float r0 = fmaf(x0, c, -__fmul_rn(x1, sn)), r1 = fmaf(x0, sn, __fmul_rn(x1, c));
        x[i] = r0;
        x[i + half] = r1;
        if (f16)
        {
            ((__half*)keyCache)[cacheRow + i] = __float2half_rn(r0);
            ((__half*)keyCache)[cacheRow + i + half] = __float2half_rn(r1);
        }
        else
        {
            ((float*)keyCache)[cacheRow + i] = r0;
            ((float*)keyCache)[cacheRow + i + half] = r1;
        }
    }
    for (int j = lane; j < d; j += 32)
    {
        if (f16) ((__half*)valueCache)[cacheRow + j] = __float2half_rn(vRow[j]);
        else ((float*)valueCache)[cacheRow + j] = vRow[j];
    }
}

// Grid (⌈n/block⌉, T): destination row rows[t] ← source row t, as F16 (__float2half_rn) or F32.
extern "C" __global__ void tsr_set_rows(const float* __restrict__ source, void* destination, const int* __restrict__ rows, int n,
                                        int f16)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = source[(long long)blockIdx.y * n + i];
    long long at = (long long)rows[blockIdx.y] * n + i;
    if (f16) ((__half*)destination)[at] = __float2half_rn(x);
    else ((float*)destination)[at] = x;
}

// Embedding lookups, grid (⌈K/block⌉, T): dst[t·K + i] = value i of row rows[t], dequantised (layouts in common.cuh).
extern "C" __global__ void tsr_get_rows_f32(const float* __restrict__ values, const int* __restrict__ rows, float* dst, int K)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    dst[(long long)blockIdx.y * K + i] = values[(long long)rows[blockIdx.y] * K + i];
}

extern "C" __global__ void tsr_get_rows_f16(const __half* __restrict__ values, const int* __restrict__ rows, float* dst, int K)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    dst[(long long)blockIdx.y * K + i] = __half2float(values[(long long)rows[blockIdx.y] * K + i]);
}

extern "C" __global__ void tsr_get_rows_q8_0(const int8_t* __restrict__ values, const __half* __restrict__ scales,
                                             const int* __restrict__ rows, float* dst, int K)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    long long r = rows[blockIdx.y];
    float d = __half2float(scales[r * (K / 32) + i / 32]);
    dst[(long long)blockIdx.y * K + i] = __fmul_rn((float)values[r * K + i], d);
}

extern "C" __global__ void tsr_get_rows_mxfp4(const uint8_t* __restrict__ values, const uint8_t* __restrict__ scales,
                                              const int* __restrict__ rows, float* dst, int K)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    long long r = rows[blockIdx.y];
    int b = i >> 5, j = i & 31;
    uint8_t byte = values[r * (K / 2) + b * 16 + (j & 15)];
    int nibble = j < 16 ? (byte & 15) : (byte >> 4);
    dst[(long long)blockIdx.y * K + i] = __fmul_rn(tsr_mxfp4_values[nibble], tsr_e8m0_half(scales[r * (K / 32) + b]));
}

// The same from a table as the GGUF file stores it (the token table read in place from host memory): rows of K/32
// blocks, a Q8_0 block a half scale then 32 int8 values (34 bytes), an MXFP4 block an E8M0 exponent then 16 bytes of
// nibbles (17 bytes). A warp reads one block's bytes together.
extern "C" __global__ void tsr_get_rows_q8_0_blocks(const uint8_t* __restrict__ table, const int* __restrict__ rows, float* dst, int K)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    const uint8_t* block = table + (long long)rows[blockIdx.y] * (K / 32) * 34 + (i >> 5) * 34;
    float d = __half2float(*(const __half*)block);
    dst[(long long)blockIdx.y * K + i] = __fmul_rn((float)(int8_t)block[2 + (i & 31)], d);
}

extern "C" __global__ void tsr_get_rows_mxfp4_blocks(const uint8_t* __restrict__ table, const int* __restrict__ rows, float* dst, int K)
{
    TSR_PDL_ENTRY();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    const uint8_t* block = table + (long long)rows[blockIdx.y] * (K / 32) * 17 + (i >> 5) * 17;
    int j = i & 31;
    uint8_t byte = block[1 + (j & 15)];
    int nibble = j < 16 ? (byte & 15) : (byte >> 4);
    dst[(long long)blockIdx.y * K + i] = __fmul_rn(tsr_mxfp4_values[nibble], tsr_e8m0_half(block[0]));
}

// The profiler's stamps (TESSERA_CUDA_PROFILE=stamps): once the kernel before it has finished, the GPU's global timer
// (nanoseconds) into buf[i]. Launched after every op of a step, recorded steps included.
extern "C" __global__ void tsr_stamp(unsigned long long* buf, int i)
{
    TSR_PDL_ENTRY();
    if (threadIdx.x == 0)
    {
        unsigned long long t;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
        buf[i] = t;
    }
}

// Small host-to-device writes queued by a stream (CudaStream.QueueInput: a step's token ids, positions and KV slots), all
// applied by one launch instead of a copy each: word i of write w goes from s_w, page-locked host memory the kernel reads
// through unified addressing (ld.global.cv: fetched again every time, never from a line an earlier launch left), to d_w.
// It waits for the kernel before it (which may still read the old values) and does not let the next one start early:
// kernels read a step's inputs before their own wait, so the writes are fenced before the block ends.
#define TSR_GATHER_INPUT(w) unsigned *d##w, const unsigned *s##w, int n##w
extern "C" __global__ void __launch_bounds__(256)
tsr_gather_inputs(int n, TSR_GATHER_INPUT(0), TSR_GATHER_INPUT(1), TSR_GATHER_INPUT(2), TSR_GATHER_INPUT(3), TSR_GATHER_INPUT(4),
                  TSR_GATHER_INPUT(5), TSR_GATHER_INPUT(6), TSR_GATHER_INPUT(7))
{
    TSR_PDL_WAIT();
    unsigned* const d[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
    const unsigned* const s[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
    const int words[8] = {n0, n1, n2, n3, n4, n5, n6, n7};
    int end[8], total = 0;
#pragma unroll
    for (int w = 0; w < 8; w++)
    {
        total += w < n ? words[w] : 0;
        end[w] = total;
    }
    // Word i of all the writes in turn: one read of host memory per thread at a time, all of them in flight together.
    for (int i = threadIdx.x; i < total; i += blockDim.x)
    {
        int w = 0;
#pragma unroll
        for (int u = 0; u < 7; u++) w += i >= end[u];
        const int j = i - (end[w] - words[w]);
        d[w][j] = __ldcv(s[w] + j);
    }
    __threadfence();
}

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

// x += addend over n floats (grid-stride).
extern "C" __global__ void tsr_add(float* x, const float* __restrict__ addend, long long n)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        x[i] = __fadd_rn(x[i], addend[i]);
}

// The same with 16-byte loads, for n4 groups of four floats (both pointers 16-byte aligned).
extern "C" __global__ void tsr_add4(float4* x, const float4* __restrict__ addend, long long n4)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n4; i += (long long)gridDim.x * blockDim.x)
    {
        float4 a = x[i], b = addend[i];
        x[i] = make_float4(__fadd_rn(a.x, b.x), __fadd_rn(a.y, b.y), __fadd_rn(a.z, b.z), __fadd_rn(a.w, b.w));
    }
}

// Grid (⌈n/block⌉, T): x[t·n + i] += bias[i].
extern "C" __global__ void tsr_add_bias(float* x, const float* __restrict__ bias, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long at = (long long)blockIdx.y * n + i;
    x[at] = __fadd_rn(x[at], bias[i]);
}

// Grid (⌈n/block⌉, slots): x[q·n + i] += bias[ids[q]·n + i].
extern "C" __global__ void tsr_add_expert_bias(float* x, const float* __restrict__ bias, const int* __restrict__ ids, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long at = (long long)blockIdx.y * n + i;
    x[at] = __fadd_rn(x[at], bias[(long long)ids[blockIdx.y] * n + i]);
}

// y = g·σ(α·g)·(u + 1), g = min(gate, limit), u = clamp(up, −limit, limit), computed as the reference: g / (1 + expf(α·−g))
// · (u + 1) (expf, not __expf).
extern "C" __global__ void tsr_swiglu(const float* __restrict__ gate, const float* __restrict__ up, float* y, long long n,
                                      float alpha, float limit)
{
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

// One block per row t: every pair of every head of x[t] ([T × heads·d]) rotated at positions[t].
extern "C" __global__ void tsr_rope(float* x, const int* __restrict__ positions, const float* __restrict__ table, int heads, int d)
{
    int half = d >> 1, pairs = heads * half;
    float* row = x + (long long)blockIdx.x * heads * d;
    const float* tab = table + (long long)positions[blockIdx.x] * d;
    for (int p = threadIdx.x; p < pairs; p += blockDim.x)
    {
        int h = p / half, i = p - h * half;
        tsr_rotate_pair(row + h * d, tab, i, half);
    }
}

// One block per row t: RoPE on q[t] and k[t] (in place), then cache row slots[t] ← k[t] (roped) and v[t], as F16
// (__float2half_rn) or F32. Items: the q pairs, then the k pairs (each writes its two roped values to k and the cache),
// then the v values.
extern "C" __global__ void tsr_rope_store(float* q, float* k, const float* __restrict__ v, const int* __restrict__ positions,
                                          const float* __restrict__ table, int qHeads, int kvHeads, int d, void* keyCache,
                                          void* valueCache, const int* __restrict__ slots, int f16)
{
    int half = d >> 1, qPairs = qHeads * half, kPairs = kvHeads * half, width = kvHeads * d;
    long long t = blockIdx.x;
    const float* tab = table + (long long)positions[t] * d;
    float* qRow = q + t * qHeads * d;
    float* kRow = k + t * width;
    const float* vRow = v + t * width;
    long long cacheRow = (long long)slots[t] * width;
    for (int p = threadIdx.x; p < qPairs + kPairs + width; p += blockDim.x)
    {
        if (p < qPairs)
        {
            int h = p / half, i = p - h * half;
            tsr_rotate_pair(qRow + h * d, tab, i, half);
        }
        else if (p < qPairs + kPairs)
        {
            int r = p - qPairs, h = r / half, i = r - h * half;
            float* head = kRow + h * d;
            tsr_rotate_pair(head, tab, i, half);
            long long a = cacheRow + h * d + i, b = a + half;
            if (f16)
            {
                ((__half*)keyCache)[a] = __float2half_rn(head[i]);
                ((__half*)keyCache)[b] = __float2half_rn(head[i + half]);
            }
            else
            {
                ((float*)keyCache)[a] = head[i];
                ((float*)keyCache)[b] = head[i + half];
            }
        }
        else
        {
            int j = p - qPairs - kPairs;
            if (f16) ((__half*)valueCache)[cacheRow + j] = __float2half_rn(vRow[j]);
            else ((float*)valueCache)[cacheRow + j] = vRow[j];
        }
    }
}

// Grid (⌈n/block⌉, T): destination row rows[t] ← source row t, as F16 (__float2half_rn) or F32.
extern "C" __global__ void tsr_set_rows(const float* __restrict__ source, void* destination, const int* __restrict__ rows, int n,
                                        int f16)
{
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
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    dst[(long long)blockIdx.y * K + i] = values[(long long)rows[blockIdx.y] * K + i];
}

extern "C" __global__ void tsr_get_rows_f16(const __half* __restrict__ values, const int* __restrict__ rows, float* dst, int K)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    dst[(long long)blockIdx.y * K + i] = __half2float(values[(long long)rows[blockIdx.y] * K + i]);
}

extern "C" __global__ void tsr_get_rows_q8_0(const int8_t* __restrict__ values, const __half* __restrict__ scales,
                                             const int* __restrict__ rows, float* dst, int K)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    long long r = rows[blockIdx.y];
    float d = __half2float(scales[r * (K / 32) + i / 32]);
    dst[(long long)blockIdx.y * K + i] = __fmul_rn((float)values[r * K + i], d);
}

extern "C" __global__ void tsr_get_rows_mxfp4(const uint8_t* __restrict__ values, const uint8_t* __restrict__ scales,
                                              const int* __restrict__ rows, float* dst, int K)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= K) return;
    long long r = rows[blockIdx.y];
    int b = i >> 5, j = i & 31;
    uint8_t byte = values[r * (K / 2) + b * 16 + (j & 15)];
    int nibble = j < 16 ? (byte & 15) : (byte >> 4);
    dst[(long long)blockIdx.y * K + i] = __fmul_rn(tsr_mxfp4_values[nibble], tsr_e8m0_half(scales[r * (K / 32) + b]));
}

// Tiled fp32 GEMM for prefill (many token rows): y[t·R + r] = Σ_i W[r, i]·x[t·K + i] (+ bias[r]).
// A block computes a tile of GM weight rows × GN x rows (256 threads, 4 × 4 outputs each); per 32-wide K step the weight
// tile is dequantised into shared memory (one quant block per row) next to the x tile, both k-major; the next step's
// global loads are issued before the current step's FMAs (register prefetch). Deterministic: a fixed order per output.
//   tsr_gemm_*          dense: blockIdx.x = tile of GN tokens, blockIdx.y = tile of GM rows
//   tsr_expert_sort     one block: stable counting sort of the T·k slots by expert (ids) into scratch, with each expert's
//                       offset and the prefix of its GN-slot tile counts
//   tsr_gemm_experts_*  grouped: blockIdx.x = tile among Σ_e ceil(count_e/GN) ≤ ceil(T·k/GN) + E (blocks beyond exit),
//                       each tile gathers x rows of one expert's slots and scatters y rows by slot
//   tsr_swiglu_slots    act = swiglu_oai(g, u) elementwise (gate/up products from the grouped GEMM, biases included)
//   tsr_weighted_add    h[t·R + r] += Σ_j weights[t·k+j]·y[(t·k+j)·R + r] in slot order
// Sort info layout (int32): offsets[E+1], tileStart[E+1], sorted slots[T·k].
#include "common.cuh"

#define GM 64
#define GN 64
#define GK 32
#define GPAD 4
#define GTHREADS 256

// E2M1 nibbles at bits 0..3 and 16..19 of z as f16 pairs: ggml's doubled value × 2^-15, exactly.
__device__ __forceinline__ float2 g_fp4x2(uint32_t z)
{
    const uint32_t h = ((z << 12) & 0x80008000u) | ((z << 9) & 0x0E000E00u);
    return make_float2(__half2float(__ushort_as_half((unsigned short)(h & 0xFFFFu))),
                       __half2float(__ushort_as_half((unsigned short)(h >> 16))));
}

__device__ __forceinline__ float2 g_h2(uint32_t v)
{
    return make_float2(__half2float(__ushort_as_half((unsigned short)(v & 0xFFFFu))),
                       __half2float(__ushort_as_half((unsigned short)(v >> 16))));
}

// Raw weight data of one thread for one K step: row gr (or none), values 8·qd .. 8·qd+7 of block kb (MXFP4: bytes
// 4·qd .. 4·qd+3 of the block, values 4·qd+i and 16+4·qd+i).
struct GRaw
{
    uint4 a, b;
    float sc;
};

template <int TY>
__device__ __forceinline__ void g_load_w(GRaw& w, const void* values, const void* scales, int K, bool valid, size_t gr, int kb, int qd)
{
    w.a = make_uint4(0, 0, 0, 0);
    w.b = make_uint4(0, 0, 0, 0);
    w.sc = 0.f;
    if (!valid) return;
    const size_t i0 = gr * (size_t)K + (size_t)kb * 32 + 8 * qd;
    if (TY == TSR_F32)
    {
        const uint4* p = reinterpret_cast<const uint4*>(reinterpret_cast<const float*>(values) + i0);
        w.a = __ldg(p);
        w.b = __ldg(p + 1);
    }
    else if (TY == TSR_F16)
    {
        w.a = __ldg(reinterpret_cast<const uint4*>(reinterpret_cast<const __half*>(values) + i0));
    }
    else if (TY == TSR_Q8_0)
    {
        const uint2 v = __ldg(reinterpret_cast<const uint2*>(reinterpret_cast<const int8_t*>(values) + i0));
        w.a.x = v.x;
        w.a.y = v.y;
        w.sc = __half2float(__ushort_as_half(__ldg(reinterpret_cast<const unsigned short*>(scales) + gr * (size_t)(K / 32) + kb)));
    }
    else
    {
        w.a.x = __ldg(reinterpret_cast<const uint32_t*>(reinterpret_cast<const uint8_t*>(values) + gr * (size_t)(K / 2) + (size_t)kb * 16 + 4 * qd));
        w.sc = tsr_e8m0_half(__ldg(reinterpret_cast<const uint8_t*>(scales) + gr * (size_t)(K / 32) + kb));
    }
}

// Dequantises w into column r of Ws (k-major).
template <int TY>
__device__ __forceinline__ void g_store_w(float (*Ws)[GM + GPAD], const GRaw& w, int r, int qd)
{
    if (TY == TSR_F32)
    {
        Ws[8 * qd + 0][r] = __uint_as_float(w.a.x);
        Ws[8 * qd + 1][r] = __uint_as_float(w.a.y);
        Ws[8 * qd + 2][r] = __uint_as_float(w.a.z);
        Ws[8 * qd + 3][r] = __uint_as_float(w.a.w);
        Ws[8 * qd + 4][r] = __uint_as_float(w.b.x);
        Ws[8 * qd + 5][r] = __uint_as_float(w.b.y);
        Ws[8 * qd + 6][r] = __uint_as_float(w.b.z);
        Ws[8 * qd + 7][r] = __uint_as_float(w.b.w);
    }
    else if (TY == TSR_F16)
    {
        const uint32_t words[4] = {w.a.x, w.a.y, w.a.z, w.a.w};
#pragma unroll
        for (int j = 0; j < 4; j++)
        {
            const float2 f = g_h2(words[j]);
            Ws[8 * qd + 2 * j][r] = f.x;
            Ws[8 * qd + 2 * j + 1][r] = f.y;
        }
    }
    else if (TY == TSR_Q8_0)
    {
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            const uint32_t word = i < 4 ? w.a.x : w.a.y;
            const int q = (int)(int8_t)(uint8_t)(word >> (8 * (i & 3)));
            Ws[8 * qd + i][r] = (float)q * w.sc;
        }
    }
    else
    {
        const uint32_t z = w.a.x;
        const float2 a = g_fp4x2(z), b = g_fp4x2(z >> 8), c = g_fp4x2(z >> 4), d = g_fp4x2(z >> 12);
        Ws[4 * qd + 0][r] = (a.x * 32768.f) * w.sc;
        Ws[4 * qd + 1][r] = (b.x * 32768.f) * w.sc;
        Ws[4 * qd + 2][r] = (a.y * 32768.f) * w.sc;
        Ws[4 * qd + 3][r] = (b.y * 32768.f) * w.sc;
        Ws[16 + 4 * qd + 0][r] = (c.x * 32768.f) * w.sc;
        Ws[16 + 4 * qd + 1][r] = (d.x * 32768.f) * w.sc;
        Ws[16 + 4 * qd + 2][r] = (c.y * 32768.f) * w.sc;
        Ws[16 + 4 * qd + 3][r] = (d.y * 32768.f) * w.sc;
    }
}

// One GM × GN output tile: weight rows sliceRow + r0 .. (r < R), x rows xrow[m] (m < GN, −1: none), outputs to y rows
// yrow[m]; bias (already offset to the slice) may be null.
template <int TY>
__device__ __forceinline__ void g_tile(const void* values, const void* scales, int K, int R, size_t sliceRow, int r0,
                                       const float* __restrict__ x, float* y, const float* bias, const int* xrow, const int* yrow)
{
    __shared__ __align__(16) float Ws[GK][GM + GPAD];
    __shared__ __align__(16) float Xs[GK][GN + GPAD];
    const int tid = threadIdx.x;
    // weight loading: row wr = tid / 4, quarter qd = tid % 4
    const int wr = tid >> 2, qd = tid & 3;
    const bool wvalid = r0 + wr < R;
    const size_t gr = sliceRow + (size_t)(r0 + wr);
    // x loading: 2 float4 per thread, member xm = idx / 8, float4 xk = idx % 8
    int xm[2], xk[2];
    const float* xp[2];
#pragma unroll
    for (int p = 0; p < 2; p++)
    {
        const int idx = tid + GTHREADS * p;
        xm[p] = idx >> 3;
        xk[p] = idx & 7;
        const int row = xrow[xm[p]];
        xp[p] = row >= 0 ? x + (size_t)row * K + 4 * xk[p] : nullptr;
    }
    // compute: rows 4·tr .. +3, members 4·tt .. +3
    const int tr = tid & 15, tt = tid >> 4;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;

    const int nkb = K / GK;
    GRaw w;
    float4 xv[2];
    g_load_w<TY>(w, values, scales, K, wvalid, gr, 0, qd);
#pragma unroll
    for (int p = 0; p < 2; p++) xv[p] = xp[p] ? __ldg(reinterpret_cast<const float4*>(xp[p])) : make_float4(0.f, 0.f, 0.f, 0.f);

    for (int kb = 0; kb < nkb; kb++)
    {
        __syncthreads();
        g_store_w<TY>(Ws, w, wr, qd);
#pragma unroll
        for (int p = 0; p < 2; p++)
        {
            Xs[4 * xk[p] + 0][xm[p]] = xv[p].x;
            Xs[4 * xk[p] + 1][xm[p]] = xv[p].y;
            Xs[4 * xk[p] + 2][xm[p]] = xv[p].z;
            Xs[4 * xk[p] + 3][xm[p]] = xv[p].w;
        }
        __syncthreads();
        if (kb + 1 < nkb)
        {
            g_load_w<TY>(w, values, scales, K, wvalid, gr, kb + 1, qd);
#pragma unroll
            for (int p = 0; p < 2; p++)
                xv[p] = xp[p] ? __ldg(reinterpret_cast<const float4*>(xp[p] + (size_t)(kb + 1) * GK)) : make_float4(0.f, 0.f, 0.f, 0.f);
        }
#pragma unroll 8
        for (int kk = 0; kk < GK; kk++)
        {
            const float4 a = *reinterpret_cast<const float4*>(&Ws[kk][4 * tr]);
            const float4 b = *reinterpret_cast<const float4*>(&Xs[kk][4 * tt]);
            const float av[4] = {a.x, a.y, a.z, a.w};
            const float bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
    }

#pragma unroll
    for (int j = 0; j < 4; j++)
    {
        const int yr = yrow[4 * tt + j];
        if (yr < 0) continue;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            const int r = r0 + 4 * tr + i;
            if (r < R) y[(size_t)yr * R + r] = acc[i][j] + (bias ? bias[r] : 0.f);
        }
    }
}

template <int TY>
__device__ __forceinline__ void g_dense(const void* values, const void* scales, int K, int R, const float* x, float* y,
                                        const float* bias, int T)
{
    __shared__ int xrow[GN], yrow[GN];
    const int m0 = blockIdx.x * GN;
    if (threadIdx.x < GN)
    {
        const int t = m0 + threadIdx.x;
        xrow[threadIdx.x] = t < T ? t : -1;
        yrow[threadIdx.x] = t < T ? t : -1;
    }
    __syncthreads();
    g_tile<TY>(values, scales, K, R, 0, blockIdx.y * GM, x, y, bias, xrow, yrow);
}

template <int TY>
__device__ __forceinline__ void g_experts(const void* values, const void* scales, int K, int R, int E, const float* x,
                                          int xPerSlot, int k, const int* __restrict__ info, float* y, const float* bias)
{
    __shared__ int xrow[GN], yrow[GN];
    const int* offsets = info;
    const int* tileStart = info + E + 1;
    const int* sorted = info + 2 * (E + 1);
    const int b = blockIdx.x;
    if (b >= tileStart[E]) return;
    int lo = 0, hi = E;  // tileStart[lo] ≤ b < tileStart[hi]
    while (hi - lo > 1)
    {
        const int mid = (lo + hi) >> 1;
        if (tileStart[mid] <= b) lo = mid; else hi = mid;
    }
    const int e = lo;
    const int start = offsets[e] + (b - tileStart[e]) * GN;
    const int end = min(start + GN, offsets[e + 1]);
    if (threadIdx.x < GN)
    {
        const int i = start + threadIdx.x;
        const int q = i < end ? sorted[i] : -1;
        xrow[threadIdx.x] = q < 0 ? -1 : xPerSlot ? q : q / k;
        yrow[threadIdx.x] = q;
    }
    __syncthreads();
    g_tile<TY>(values, scales, K, R, (size_t)e * R, blockIdx.y * GM, x, y, bias ? bias + (size_t)e * R : nullptr, xrow, yrow);
}

#define G_KERNELS(SUFFIX, TY)                                                                                              \
    extern "C" __global__ void __launch_bounds__(GTHREADS) tsr_gemm_##SUFFIX(                                             \
        const void* values, const void* scales, int K, int R, const float* x, float* y, const float* bias, int T)          \
    {                                                                                                                      \
        g_dense<TY>(values, scales, K, R, x, y, bias, T);                                                                  \
    }                                                                                                                      \
    extern "C" __global__ void __launch_bounds__(GTHREADS) tsr_gemm_experts_##SUFFIX(                                     \
        const void* values, const void* scales, int K, int R, int E, const float* x, int xPerSlot, int k, const int* info, \
        float* y, const float* bias)                                                                                       \
    {                                                                                                                      \
        g_experts<TY>(values, scales, K, R, E, x, xPerSlot, k, info, y, bias);                                             \
    }

G_KERNELS(f32, TSR_F32)
G_KERNELS(f16, TSR_F16)
G_KERNELS(q8_0, TSR_Q8_0)
G_KERNELS(mxfp4, TSR_MXFP4)

// One block of 1024 threads (32 warps), E ≤ 256; dynamic shared memory 32·E ints. Warp w owns slots
// [w·seg, (w+1)·seg): it counts them per expert, the counts become running positions in (expert, warp, slot) order,
// and the warp writes each slot at its position, so every expert's slots stay in increasing slot order (stable,
// deterministic). Ids outside [0, E) are left out. Writes offsets, tileStart (tiles of GN slots) and sorted to info.
extern "C" __global__ void __launch_bounds__(1024) tsr_expert_sort(const int* __restrict__ ids, int n, int E, int* info)
{
    extern __shared__ int cnt[];  // [32][E]
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int* offsets = info;
    int* tileStart = info + E + 1;
    int* sorted = info + 2 * (E + 1);
    for (int i = threadIdx.x; i < 32 * E; i += blockDim.x) cnt[i] = 0;
    __syncthreads();
    const int seg = (n + 31) / 32;
    const int s0 = warp * seg, s1 = min(n, s0 + seg);
    const unsigned lt = (1u << lane) - 1u;
    for (int i0 = s0; i0 < s1; i0 += 32)
    {
        const int i = i0 + lane;
        int e = i < s1 ? ids[i] : -1;
        if (e >= E) e = -1;
        const unsigned mask = __match_any_sync(0xffffffffu, e);
        if (e >= 0 && (mask & lt) == 0) cnt[warp * E + e] += __popc(mask);
    }
    __syncthreads();
    // per expert total, then exclusive prefixes by one thread (E ≤ 256)
    __shared__ int total[256];
    if (threadIdx.x < E)
    {
        int s = 0;
        for (int w = 0; w < 32; w++) s += cnt[w * E + threadIdx.x];
        total[threadIdx.x] = s;
    }
    __syncthreads();
    __shared__ int base[256];
    if (threadIdx.x == 0)
    {
        int off = 0, tiles = 0;
        for (int e = 0; e < E; e++)
        {
            offsets[e] = off;
            tileStart[e] = tiles;
            base[e] = off;
            off += total[e];
            tiles += (total[e] + GN - 1) / GN;
        }
        offsets[E] = off;
        tileStart[E] = tiles;
    }
    __syncthreads();
    if (threadIdx.x < E)
    {
        int run = base[threadIdx.x];
        for (int w = 0; w < 32; w++)
        {
            const int c = cnt[w * E + threadIdx.x];
            cnt[w * E + threadIdx.x] = run;
            run += c;
        }
    }
    __syncthreads();
    for (int i0 = s0; i0 < s1; i0 += 32)
    {
        const int i = i0 + lane;
        int e = i < s1 ? ids[i] : -1;
        if (e >= E) e = -1;
        const unsigned mask = __match_any_sync(0xffffffffu, e);
        const int pos = e >= 0 ? cnt[warp * E + e] + __popc(mask & lt) : 0;
        __syncwarp();
        if (e >= 0)
        {
            sorted[pos] = i;
            if ((mask & lt) == 0) cnt[warp * E + e] += __popc(mask);
        }
        __syncwarp();
    }
}

extern "C" __global__ void __launch_bounds__(256)
tsr_swiglu_slots(const float* __restrict__ g, const float* __restrict__ u, float* act, long long n, float alpha, float limit)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        const float gv = fminf(g[i], limit);
        const float uv = fminf(fmaxf(u[i], -limit), limit);
        act[i] = gv / (1.f + expf(alpha * -gv)) * (uv + 1.f);
    }
}

extern "C" __global__ void __launch_bounds__(256)
tsr_weighted_add(const float* __restrict__ y, const float* __restrict__ weights, const int* __restrict__ ids, int E, float* h,
                 int R, int T, int k)
{
    const long long n = (long long)T * R;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        const int t = (int)(i / R), r = (int)(i - (long long)t * R);
        float sum = 0.f;
        for (int j = 0; j < k; j++)
        {
            const int q = t * k + j;
            const int e = ids[q];
            if (e < 0 || e >= E) continue;
            const float yj = weights[q] * y[(size_t)q * R + r];
            sum = sum + yj;
        }
        h[i] += sum;
    }
}

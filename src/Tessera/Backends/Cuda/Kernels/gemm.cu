// Tiled fp32 GEMM for prefill (many token rows): y[t·R + r] = Σ_i W[r, i]·x[t·K + i] (+ bias[r]).
// A block computes a tile of GM weight rows × GN x rows (256 threads, 4 × 4 outputs each); per 32-wide K step the weight
// tile is dequantised into shared memory (one quant block per row) next to the x tile, both k-major; the next step's
// global loads are issued before the current step's FMAs (register prefetch). Deterministic: a fixed order per output.
//   tsr_gemm_*          dense: blockIdx.x = tile of GN tokens, blockIdx.y = tile of GM rows
//   tsr_expert_sort     one block: stable counting sort of the T·k slots by expert (ids) into scratch, with each expert's
//                       offset and the prefix of its GN-slot tile counts
//   tsr_gemm_experts_*  grouped: blockIdx.x = tile among Σ_e ceil(count_e/GN) ≤ ceil(T·k/GN) + E (blocks beyond exit),
//                       each tile gathers x rows of one expert's slots and scatters y rows by slot
//   tsr_gemm_mma_*, tsr_gemm_experts_mma_*  (F16, Q8_0, MXFP4) the same products on tensor cores (mma.sync m16n8k16,
//                       x rounded to f16, weights exact, fp32 accumulation; 128 rows × 64 tokens per block; numerics and
//                       expected tolerance in the comment above their code); the grouped one uses the same sort info
//                       and reads the slots' x rows gathered in sorted order as f16 by tsr_gather_x16
//   tsr_gather_x16      x16[i] = f16(x row of sorted slot i), for the tensor-core grouped GEMM
//   tsr_gemm_mma_*i8, tsr_gemm_experts_mma_*i8, tsr_gather_xq_*i8  (Q8_0, MXFP4) the same on integer tensor cores
//                       (mma.sync m16n8k32 s8, x quantised to Q8_0 as the CPU backend quantises it; the default prefill
//                       path, see the comment above their code)
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

// Finds the expert and slot range of grouped tile blockIdx.x (tiles of GN slots, tsr_expert_sort's info) and fills
// xrow/yrow (x row and slot per tile member, −1: none). Returns the expert, or −1 when the block has no tile (the caller
// returns; the test is uniform over the block).
__device__ __forceinline__ int g_expert_rows(int E, int xPerSlot, int k, const int* __restrict__ info, int* xrow, int* yrow)
{
    const int* offsets = info;
    const int* tileStart = info + E + 1;
    const int* sorted = info + 2 * (E + 1);
    const int b = blockIdx.x;
    if (b >= tileStart[E]) return -1;
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
    return e;
}

template <int TY>
__device__ __forceinline__ void g_experts(const void* values, const void* scales, int K, int R, int E, const float* x,
                                          int xPerSlot, int k, const int* __restrict__ info, float* y, const float* bias)
{
    __shared__ int xrow[GN], yrow[GN];
    const int e = g_expert_rows(E, xPerSlot, k, info, xrow, yrow);
    if (e < 0) return;
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

// ---------------------------------------------------------------------------------------------------------------------
// Tensor-core GEMMs (mma.sync m16n8k16, f16 × f16 → f32), same arguments and results as tsr_gemm_* / tsr_gemm_experts_*.
// Block: MM = 128 weight rows × GN = 64 x rows (tokens or slots), 256 threads = 8 warps as 4 (rows) × 2 (tokens), each
// warp 32 rows × 32 tokens = 2 × 4 mma tiles. K step MK = 32 (one quant block). Raw weight bytes, scale words and x
// rows stream into MSTAGES shared stages with cp.async (MSTAGES − 1 steps in flight while one is computed); each step
// dequantises its stage into one f16 weight tile (fp32 x: converted into one f16 x tile; grouped: x already f16, read
// by ldmatrix from the stage), two __syncthreads per step. Dynamic shared memory, size in CudaKernels.MmaSharedBytes.
// Shared f16 rows are 40 halves (80 bytes), so ldmatrix and the 16-byte stores hit distinct banks.
// Numerics (weights exact except F32, which keeps the fp32 SIMT path):
//   x      rounded to f16 (round to nearest) when staged: |x| must stay below 65504 (gpt-oss activations do).
//   F16    as stored.
//   Q8_0   the int8 values as f16 (exact); per 32-wide block, the block's two mma steps go into a zeroed fragment p and
//          acc += d_row · p in fp32 (d the block's f16 scale as float).
//   MXFP4  ggml's doubled E2M1 values ±{0,1,2,3,4,6,8,12} as f16 (exact), acc += 2^(e−128)_row · p as for Q8_0.
//   Products and sums in fp32 inside the tensor cores (K steps of 16 per mma, fixed order: deterministic).
// Expected error versus an fp32/double reference over the exact dequantised weights: that of rounding x to f16 (absolute
// error ≤ half an f16 ulp per element, independent signs), so y's relative RMS error is about 2^-11·0.4 ≈ 2e-4 whatever
// K (host simulation, uniform x in [−1, 1] and MXFP4-like weights: 1.8e-4 .. 1.9e-4 for K 64 .. 2880); chained products
// (gate/up → SwiGLU → down, each input rounded again) estimated 3e-4 .. 4e-4. Suggested conformance tolerance for the mma
// path: 1e-3 relative RMS (2e-3 for chains). Tokens with no x row (beyond T, or past an expert's slots) read as zero and are
// not stored; rows ≥ R are zero-filled in shared memory and not stored.
#define MM 128
#define MK 32
#define MSTR 40
#define MTHREADS 256

// Raw weight data of one thread for one K step: row wr, values 16·hf .. 16·hf+15 of the step's block (MXFP4: bytes
// 8·hf .. 8·hf+7 of the block, values 8·hf+i (low nibbles) and 16+8·hf+i (high nibbles)).
struct MRaw
{
    uint4 a, b;
    float sc;
};

// Four int8 (bytes of v, value i in byte i) as two f16 pairs, exactly: 0x64XX is 1024 + XX, XX = q + 128.
__device__ __forceinline__ void m_i8x4(uint32_t v, uint32_t& lo, uint32_t& hi)
{
    const uint32_t u = v ^ 0x80808080u;
    const __half2 bias = __float2half2_rn(1152.f);
    const uint32_t l = __byte_perm(u, 0x64646464u, 0x4140), h = __byte_perm(u, 0x64646464u, 0x4342);
    const __half2 lv = __hsub2(*reinterpret_cast<const __half2*>(&l), bias);
    const __half2 hv = __hsub2(*reinterpret_cast<const __half2*>(&h), bias);
    lo = *reinterpret_cast<const uint32_t*>(&lv);
    hi = *reinterpret_cast<const uint32_t*>(&hv);
}

// E2M1 nibbles at bits 0..3 (low half) and 16..19 (high half) of z as an f16 pair of ggml's doubled values, exactly:
// the bits make value × 2^-15 (exponent field = E2M1 exponent, top mantissa bit = E2M1 mantissa), times 2^15.
__device__ __forceinline__ uint32_t m_fp4x2(uint32_t z)
{
    const uint32_t h = ((z << 12) & 0x80008000u) | ((z << 9) & 0x0E000E00u);
    const __half2 v = __hmul2(*reinterpret_cast<const __half2*>(&h), __float2half2_rn(32768.f));
    return *reinterpret_cast<const uint32_t*>(&v);
}

// Stores w as f16 into the shared row (40 halves; values 0..31 of the K step), and its scale into *sc (quant types).
template <int TY>
__device__ __forceinline__ void m_store_w(__half* row, float* sc, const MRaw& w, int hf)
{
    if (TY == TSR_F16)
    {
        reinterpret_cast<uint4*>(row + 16 * hf)[0] = w.a;
        reinterpret_cast<uint4*>(row + 16 * hf)[1] = w.b;
    }
    else if (TY == TSR_Q8_0)
    {
        uint4 p, q;
        m_i8x4(w.a.x, p.x, p.y);
        m_i8x4(w.a.y, p.z, p.w);
        m_i8x4(w.a.z, q.x, q.y);
        m_i8x4(w.a.w, q.z, q.w);
        reinterpret_cast<uint4*>(row + 16 * hf)[0] = p;
        reinterpret_cast<uint4*>(row + 16 * hf)[1] = q;
        if (hf == 0) *sc = w.sc;
    }
    else
    {
        // t = bytes (b0, b2, b1, b3): nibbles of b0/b1 at bits 0..3/16..19, of b2/b3 after >> 8; high nibbles after >> 4.
        const uint32_t t0 = __byte_perm(w.a.x, 0, 0x3120), t1 = __byte_perm(w.a.y, 0, 0x3120);
        const uint4 lo = make_uint4(m_fp4x2(t0), m_fp4x2(t0 >> 8), m_fp4x2(t1), m_fp4x2(t1 >> 8));
        const uint4 hi = make_uint4(m_fp4x2(t0 >> 4), m_fp4x2(t0 >> 12), m_fp4x2(t1 >> 4), m_fp4x2(t1 >> 12));
        *reinterpret_cast<uint4*>(row + 8 * hf) = lo;
        *reinterpret_cast<uint4*>(row + 16 + 8 * hf) = hi;
        if (hf == 0) *sc = w.sc;
    }
}

__device__ __forceinline__ uint32_t m_h2(float a, float b)
{
    const __half2 v = __floats2half2_rn(a, b);
    return *reinterpret_cast<const uint32_t*>(&v);
}

__device__ __forceinline__ void m_ldsm4(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, const __half* p)
{
    const unsigned a = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(a)
                 : "memory");
}

// cp.async (sm_80+): 16 or 4 bytes global → shared, zero-filled when !valid (src must still be a valid address).
__device__ __forceinline__ void p_cp16(void* dst, const void* src, bool valid)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(valid ? 16 : 0) : "memory");
}

__device__ __forceinline__ void p_cp4(void* dst, const void* src, bool valid)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(src), "r"(valid ? 4 : 0) : "memory");
}

__device__ __forceinline__ void p_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void p_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

// Pipeline: MSTAGES K steps of raw data in flight per block (cp.async), each stage = [weight bytes: MM rows × MWRB]
// [scale words: MM × 4 bytes, the aligned 32-bit word holding the row's scale] [x: GN rows, f16 80-byte rows (x16) or
// fp32 128-byte rows]; after the stages, the f16 weight tile Wf [MM][MSTR], its scales Ss [MM] (float) and, for fp32 x,
// the f16 x tile Xf [GN][MSTR]. Sizes mirrored by CudaKernels.MmaSharedBytes.
#define MSTAGES 4
#define MWRB(TY) ((TY) == TSR_F16 ? 64 : (TY) == TSR_Q8_0 ? 32 : 16)
#define MXRB(X16) ((X16) ? 2 * MSTR : 4 * MK)

// The tensor-core GEMMs' epilogue: acc[i][j][c] is output row r0 + 32·wm + 16·i + g (+8 for c ≥ 2) of member
// 32·wn + 8·j + 2·tq + (c & 1), stored with its bias to y row yrow[member] (−1: none).
__device__ __forceinline__ void m_store(const float (&acc)[2][4][4], float* y, const int* yrow, const float* bias, int R, int r0,
                                        int wm, int wn, int g, int tq)
{
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int h = 0; h < 2; h++)
        {
            const int r = r0 + 32 * wm + 16 * i + g + 8 * h;
            if (r >= R) continue;
            const float bv = bias ? bias[r] : 0.f;
#pragma unroll
            for (int j = 0; j < 4; j++)
#pragma unroll
                for (int c = 0; c < 2; c++)
                {
                    const int yr = yrow[32 * wn + 8 * j + 2 * tq + c];
                    if (yr >= 0) y[(size_t)yr * R + r] = acc[i][j][2 * h + c] + bv;
                }
        }
}

// One MM × GN output tile on tensor cores with a cp.async pipeline (one K step of 32 per stage; per step: wait for the
// stage, issue the copies of step + MSTAGES − 1, dequantise the stage into Wf (and convert fp32 x into Xf), barrier,
// mma). Weight rows sliceRow + r0 .. (r < R). x: x16 ? f16 rows xbase .. xbase + cnt − 1 (contiguous, gathered) :
// fp32 rows xrow[m] (−1: none). Outputs to y rows yrow[m] (−1: none); bias (already offset to the slice) may be null.
template <int TY, bool X16>
__device__ __forceinline__ void p_tile(const void* values, const void* scales, int K, int R, size_t sliceRow, int r0,
                                       const void* x, int xbase, int cnt, const int* xrow, float* y, const float* bias,
                                       const int* yrow)
{
    constexpr bool quant = TY == TSR_Q8_0 || TY == TSR_MXFP4;
    constexpr int WB = MM * MWRB(TY), SB = MM * 4, XB = GN * MXRB(X16), STAGE = WB + SB + XB;
    extern __shared__ __align__(16) unsigned char psm[];
    __half(*Wf)[MSTR] = reinterpret_cast<__half(*)[MSTR]>(psm + MSTAGES * STAGE);
    float* Ss = reinterpret_cast<float*>(psm + MSTAGES * STAGE + MM * MSTR * 2);
    __half(*Xf)[MSTR] = reinterpret_cast<__half(*)[MSTR]>(psm + MSTAGES * STAGE + MM * MSTR * 2 + MM * 4);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp & 3, wn = warp >> 2;
    const int g = lane >> 2, tq = lane & 3;
    const size_t gr0 = sliceRow + (size_t)r0;
    const int nkb = K / MK;
    const unsigned char* wv = reinterpret_cast<const unsigned char*>(values);
    const unsigned char* ws = reinterpret_cast<const unsigned char*>(scales);

    // Copies of step kb into stage st.
    auto issue = [&](int st, int kb) {
        unsigned char* base = psm + st * STAGE;
        if (TY == TSR_F16)
        {
#pragma unroll
            for (int p = 0; p < 2; p++)
            {
                const int c = tid + MTHREADS * p, row = c >> 2, part = c & 3;
                const bool ok = r0 + row < R;
                const unsigned char* src = ok ? wv + ((gr0 + row) * (size_t)K + (size_t)kb * MK) * 2 + 16 * part : wv;
                p_cp16(base + row * 64 + 16 * part, src, ok);
            }
        }
        else if (TY == TSR_Q8_0)
        {
            const int row = tid >> 1, part = tid & 1;
            const bool ok = r0 + row < R;
            const unsigned char* src = ok ? wv + (gr0 + row) * (size_t)K + (size_t)kb * MK + 16 * part : wv;
            p_cp16(base + row * 32 + 16 * part, src, ok);
        }
        else if (tid < MM)
        {
            const bool ok = r0 + tid < R;
            const unsigned char* src = ok ? wv + (gr0 + tid) * (size_t)(K / 2) + (size_t)kb * 16 : wv;
            p_cp16(base + tid * 16, src, ok);
        }
        if (quant && tid >= MTHREADS - MM)
        {
            const int row = tid - (MTHREADS - MM);
            const bool ok = r0 + row < R;
            const size_t idx = (gr0 + row) * (size_t)(K / 32) + kb;
            const size_t byte = TY == TSR_Q8_0 ? 2 * idx : idx;
            p_cp4(base + WB + 4 * row, ok ? ws + (byte & ~(size_t)3) : ws, ok);
        }
        unsigned char* xd = base + WB + SB;
        if (X16)
        {
            const int m = tid >> 2, part = tid & 3;
            const bool ok = m < cnt;
            const unsigned char* src = reinterpret_cast<const unsigned char*>(x);
            if (ok) src += ((size_t)(xbase + m) * K + (size_t)kb * MK) * 2 + 16 * part;
            p_cp16(xd + m * (2 * MSTR) + 16 * part, src, ok);
        }
        else
        {
#pragma unroll
            for (int p = 0; p < 2; p++)
            {
                const int c = tid + MTHREADS * p, m = c >> 3, part = c & 7;
                const int xr = xrow[m];
                const unsigned char* src = reinterpret_cast<const unsigned char*>(x);
                if (xr >= 0) src += ((size_t)xr * K + (size_t)kb * MK) * 4 + 16 * part;
                p_cp16(xd + m * (4 * MK) + 16 * part, src, xr >= 0);
            }
        }
    };

    float acc[2][4][4];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[i][j][c] = 0.f;

#pragma unroll
    for (int s = 0; s < MSTAGES - 1; s++)
    {
        if (s < nkb) issue(s, s);
        p_commit();
    }

    const int wr = tid >> 1, hf = tid & 1;
    for (int kb = 0; kb < nkb; kb++)
    {
        p_wait<MSTAGES - 2>();
        __syncthreads();  // stage kb visible to all; every thread done with step kb − 1 (its stage, Wf, Xf)
        if (kb + MSTAGES - 1 < nkb) issue((kb + MSTAGES - 1) % MSTAGES, kb + MSTAGES - 1);
        p_commit();

        const unsigned char* base = psm + (kb % MSTAGES) * STAGE;
        MRaw w;
        w.sc = 0.f;
        if (TY == TSR_F16)
        {
            w.a = *reinterpret_cast<const uint4*>(base + wr * 64 + 32 * hf);
            w.b = *reinterpret_cast<const uint4*>(base + wr * 64 + 32 * hf + 16);
        }
        else if (TY == TSR_Q8_0)
            w.a = *reinterpret_cast<const uint4*>(base + wr * 32 + 16 * hf);
        else
        {
            const uint2 v = *reinterpret_cast<const uint2*>(base + wr * 16 + 8 * hf);
            w.a.x = v.x;
            w.a.y = v.y;
        }
        if (quant && hf == 0)
        {
            const uint32_t word = *reinterpret_cast<const uint32_t*>(base + WB + 4 * wr);
            const size_t idx = (gr0 + wr) * (size_t)(K / 32) + kb;
            if (TY == TSR_Q8_0)
                w.sc = __half2float(__ushort_as_half((unsigned short)((idx & 1) ? word >> 16 : word & 0xFFFFu)));
            else
                w.sc = tsr_e8m0_half((uint8_t)(word >> (8 * (idx & 3))));
        }
        m_store_w<TY>(&Wf[wr][0], &Ss[wr], w, hf);
        if (!X16)
        {
            const int xm = tid >> 2, xq = tid & 3;
            const float4 xa = *reinterpret_cast<const float4*>(base + WB + SB + xm * (4 * MK) + 32 * xq);
            const float4 xb = *reinterpret_cast<const float4*>(base + WB + SB + xm * (4 * MK) + 32 * xq + 16);
            *reinterpret_cast<uint4*>(&Xf[xm][8 * xq]) = make_uint4(m_h2(xa.x, xa.y), m_h2(xa.z, xa.w), m_h2(xb.x, xb.y), m_h2(xb.z, xb.w));
        }
        __syncthreads();  // Wf, Ss, Xf of step kb complete

        const __half(*Xs)[MSTR] = X16 ? reinterpret_cast<const __half(*)[MSTR]>(base + WB + SB) : Xf;
        float part[2][4][4];
        if (quant)
        {
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 4; j++)
#pragma unroll
                    for (int c = 0; c < 4; c++) part[i][j][c] = 0.f;
        }
#pragma unroll
        for (int kk = 0; kk < MK; kk += 16)
        {
            uint32_t a[2][4], b[4][2];
#pragma unroll
            for (int i = 0; i < 2; i++)
                m_ldsm4(a[i][0], a[i][1], a[i][2], a[i][3], &Wf[32 * wm + 16 * i + (lane & 15)][kk + 8 * (lane >> 4)]);
#pragma unroll
            for (int p = 0; p < 2; p++)
                m_ldsm4(b[2 * p][0], b[2 * p][1], b[2 * p + 1][0], b[2 * p + 1][1],
                        &Xs[32 * wn + 16 * p + 8 * (lane >> 4) + (lane & 7)][kk + 8 * ((lane >> 3) & 1)]);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 4; j++)
                {
                    if (quant) tsr_mma_f16(part[i][j], a[i], b[j][0], b[j][1]);
                    else tsr_mma_f16(acc[i][j], a[i], b[j][0], b[j][1]);
                }
        }
        if (quant)
        {
#pragma unroll
            for (int i = 0; i < 2; i++)
            {
                const float s0 = Ss[32 * wm + 16 * i + g], s1 = Ss[32 * wm + 16 * i + g + 8];
#pragma unroll
                for (int j = 0; j < 4; j++)
                {
                    acc[i][j][0] = fmaf(s0, part[i][j][0], acc[i][j][0]);
                    acc[i][j][1] = fmaf(s0, part[i][j][1], acc[i][j][1]);
                    acc[i][j][2] = fmaf(s1, part[i][j][2], acc[i][j][2]);
                    acc[i][j][3] = fmaf(s1, part[i][j][3], acc[i][j][3]);
                }
            }
        }
    }
    p_wait<0>();

    m_store(acc, y, yrow, bias, R, r0, wm, wn, g, tq);
}

template <int TY>
__device__ __forceinline__ void m_dense(const void* values, const void* scales, int K, int R, const float* x, float* y,
                                        const float* bias, int T)
{
    __shared__ int xrow[GN];
    const int m0 = blockIdx.x * GN;
    if (threadIdx.x < GN)
    {
        const int t = m0 + threadIdx.x;
        xrow[threadIdx.x] = t < T ? t : -1;
    }
    __syncthreads();
    p_tile<TY, false>(values, scales, K, R, 0, blockIdx.y * MM, x, 0, 0, xrow, y, bias, xrow);
}

// Grouped tile blockIdx.x over x rows gathered in sorted order (tsr_gather_x16, tsr_gather_xq_*): its expert, its first
// sorted row (start) and row count (cnt ≤ GN), and yrow (the slot of each tile member, −1: none). Returns −1 when the block
// has no tile (the caller returns; the test is uniform over the block).
__device__ __forceinline__ int m_expert_tile(int E, const int* __restrict__ info, int* yrow, int& start, int& cnt)
{
    const int* offsets = info;
    const int* tileStart = info + E + 1;
    const int* sorted = info + 2 * (E + 1);
    const int b = blockIdx.x;
    if (b >= tileStart[E]) return -1;
    int lo = 0, hi = E;  // tileStart[lo] ≤ b < tileStart[hi]
    while (hi - lo > 1)
    {
        const int mid = (lo + hi) >> 1;
        if (tileStart[mid] <= b) lo = mid; else hi = mid;
    }
    const int e = lo;
    start = offsets[e] + (b - tileStart[e]) * GN;
    cnt = min(GN, offsets[e + 1] - start);
    if (threadIdx.x < GN) yrow[threadIdx.x] = threadIdx.x < cnt ? sorted[start + threadIdx.x] : -1;
    __syncthreads();
    return e;
}

// Grouped tile blockIdx.x over f16 x rows gathered in sorted order (tsr_gather_x16): the tile's x rows are contiguous.
template <int TY>
__device__ __forceinline__ void m_experts(const void* values, const void* scales, int K, int R, int E, const __half* x16,
                                          const int* __restrict__ info, float* y, const float* bias)
{
    __shared__ int yrow[GN];
    int start, cnt;
    const int e = m_expert_tile(E, info, yrow, start, cnt);
    if (e < 0) return;
    p_tile<TY, true>(values, scales, K, R, (size_t)e * R, blockIdx.y * MM, x16, start, cnt, nullptr, y,
                     bias ? bias + (size_t)e * R : nullptr, yrow);
}

#define M_KERNELS(SUFFIX, TY)                                                                                              \
    extern "C" __global__ void __launch_bounds__(MTHREADS, 2) tsr_gemm_mma_##SUFFIX(                                      \
        const void* values, const void* scales, int K, int R, const float* x, float* y, const float* bias, int T)          \
    {                                                                                                                      \
        m_dense<TY>(values, scales, K, R, x, y, bias, T);                                                                  \
    }                                                                                                                      \
    extern "C" __global__ void __launch_bounds__(MTHREADS, 2) tsr_gemm_experts_mma_##SUFFIX(                              \
        const void* values, const void* scales, int K, int R, int E, const __half* x16, const int* info, float* y,          \
        const float* bias)                                                                                                 \
    {                                                                                                                      \
        m_experts<TY>(values, scales, K, R, E, x16, info, y, bias);                                                        \
    }

M_KERNELS(f16, TSR_F16)
M_KERNELS(q8_0, TSR_Q8_0)
M_KERNELS(mxfp4, TSR_MXFP4)

// x16[i·K + c] = f16(x row of sorted slot i) for i < offsets[E] (tsr_expert_sort's info), 8 values per thread:
// the x row of slot q is q (xPerSlot) or q / k. Grid-stride over slots·K/8.
extern "C" __global__ void __launch_bounds__(256)
tsr_gather_x16(const float* __restrict__ x, int xPerSlot, int k, int E, const int* __restrict__ info, int K, int slots, __half* x16)
{
    const int* sorted = info != nullptr ? info + 2 * (E + 1) : nullptr;   // null: rows 0 .. slots − 1 of x in order
    const int used = info != nullptr ? info[E] : slots;
    const int per = K / 8;
    const long long n = (long long)slots * per;
    for (long long v = (long long)blockIdx.x * blockDim.x + threadIdx.x; v < n; v += (long long)gridDim.x * blockDim.x)
    {
        const int i = (int)(v / per), c = (int)(v - (long long)i * per);
        if (i >= used) continue;
        const int q = sorted[i];
        const int row = xPerSlot ? q : q / k;
        const float4* p = reinterpret_cast<const float4*>(x + (size_t)row * K + 8 * c);
        const float4 a = __ldg(p), b = __ldg(p + 1);
        *reinterpret_cast<uint4*>(x16 + (size_t)i * K + 8 * c) = make_uint4(m_h2(a.x, a.y), m_h2(a.z, a.w), m_h2(b.x, b.y), m_h2(b.z, b.w));
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Integer tensor-core GEMMs for Q8_0 and MXFP4 weights (mma.sync m16n8k32, s8 × s8 → s32), the default prefill path
// (CudaKernels.IntegerPrefill; the f16 kernels above stay for TESSERA_CUDA_PREFILL_INT8=0). Same arguments, results,
// tiles (MM × GN, 8 warps of 32 × 32) and cp.async pipeline as p_tile.
//   tsr_gemm_mma_*i8          dense: fp32 x rows staged as today, quantised per K step into an int8 tile (q_quantise8)
//   tsr_gather_xq_*i8         x rows of the sorted slots quantised once into scratch: K int8 per row, K/32 float scales
//   tsr_gemm_experts_mma_*i8  grouped: reads those quants and scales (cp.async), so Q8_0 steps need no conversion at all
// Numerics: x is quantised to Q8_0 with the bits of the CPU backend's Q8_0Activations and matvec.cu's mv_quantise4 (per
// block of 32: d = f16(amax/127), q = round-half-even(x·(127/amax))). One mma K step is one 32-value block of both x and
// the weights (Q8_0: the int8 quants; MXFP4: ggml's doubled E2M1 values ±{0,1,2,3,4,6,8,12}), so its int32 sums are exact
// (|s| ≤ 32·127·127 < 2^22) and become floats exactly; acc += s · (d_w·d_x) in fp32, where d_w·d_x is exact too (f16 ×
// f16, or f16 × 2^(e−128) for MXFP4): one rounding per block and output, the K/32 steps in a fixed order. Expected error
// against the double-precision product of the same quantised x: that of fp32 accumulation, about 1e-7 relative
// (conformance tolerance 1e-5, as the integer matrix-vector kernels).
// The quants of a block sit in the order of the weights' bytes: Q8_0 as stored; MXFP4 nibble order, byte 2j = value j
// (low nibble of weight byte j) and byte 2j+1 = value 16 + j (its high nibble), as mv_quantise4 orders x too.
// Shared int8 rows are QSTR = 48 bytes (32 quants + 16), so ldmatrix's 8 rows of 16 bytes hit distinct banks; ldmatrix
// (b16) gives each lane the 4 bytes the s8 fragments want, as it gives 2 halves for m16n8k16 (same byte layout).
#define QSTR 48
#define QWRB(TY) ((TY) == TSR_Q8_0 ? QSTR : 16)   // weight bytes per row in a stage: Q8_0 rows as the mma reads them, MXFP4 raw
#define QXRB(XQ) ((XQ) ? QSTR + 4 : 4 * MK)       // x bytes per row in a stage: quants (+ its scale) or fp32 values

// The 8 E2M1 nibbles of z (weight bytes 0..3, low nibble first) as signed bytes of the doubled values, in nibble order:
// lo from bytes 0, 1, hi from bytes 2, 3. One permute gives the magnitudes of the non-negative nibbles (0 where bit 3 is
// set), the other (bit 3 flipped) those of the negative ones; ((pos | 0x80..) − neg) ^ 0x80.. subtracts bytewise, with no
// borrow between bytes (128 + pos − neg ≥ 116).
__device__ __forceinline__ void q_fp4x8(uint32_t t0, uint32_t z, uint32_t& lo, uint32_t& hi)
{
    const uint32_t zn = z ^ 0x88888888u;
    lo = ((tsr_fp4_prmt(t0, z) | 0x80808080u) - tsr_fp4_prmt(t0, zn)) ^ 0x80808080u;
    hi = ((tsr_fp4_prmt(t0, z >> 16) | 0x80808080u) - tsr_fp4_prmt(t0, zn >> 16)) ^ 0x80808080u;
}

// Q8_0 quantisation of one 32-value block held by 4 consecutive lanes (part = lane & 3 holds values 8·part .. 8·part+7;
// all 32 lanes of the warp must call it): d = f16(amax/127) as a float (every part), and the 8 quant bytes this lane
// stores at byte `at` of the block, in the weight type's order (MXFP4: values 8·(part&1)+4·(part>>1) .. +3 interleaved
// with the same of 16 + ..., exchanged with lane part ^ 2).
template <int TY>
__device__ __forceinline__ uint2 q_quantise8(const float (&v)[8], int part, float& d, int& at)
{
    float amax = 0.f;
#pragma unroll
    for (int i = 0; i < 8; i++) amax = fmaxf(amax, fabsf(v[i]));
    amax = fmaxf(amax, __shfl_xor_sync(0xFFFFFFFFu, amax, 1));
    amax = fmaxf(amax, __shfl_xor_sync(0xFFFFFFFFu, amax, 2));
    const float inv = amax != 0.f ? __fdiv_rn(127.f, amax) : 0.f;
    d = __half2float(__float2half_rn(__fdiv_rn(amax, 127.f)));
    uint32_t w[2];
#pragma unroll
    for (int h = 0; h < 2; h++)
    {
        const int q0 = __float2int_rn(__fmul_rn(v[4 * h], inv)), q1 = __float2int_rn(__fmul_rn(v[4 * h + 1], inv));
        const int q2 = __float2int_rn(__fmul_rn(v[4 * h + 2], inv)), q3 = __float2int_rn(__fmul_rn(v[4 * h + 3], inv));
        w[h] = (uint32_t)(q0 & 0xFF) | (uint32_t)(q1 & 0xFF) << 8 | (uint32_t)(q2 & 0xFF) << 16 | (uint32_t)q3 << 24;
    }
    if (TY == TSR_Q8_0)
    {
        at = 8 * part;
        return make_uint2(w[0], w[1]);
    }
    // Parts 0, 1 hold values below 16, parts 2, 3 the values 16 above theirs: part p < 2 writes positions 16p .. 16p+7
    // (its first 4 values with the partner's first 4), part p ≥ 2 positions 16(p−2)+8 .. (the partner's last 4 with its own).
    const bool low = part < 2;
    const uint32_t other = __shfl_xor_sync(0xFFFFFFFFu, low ? w[1] : w[0], 2);
    const uint32_t lo = low ? w[0] : other, hi = low ? other : w[1];
    at = 16 * (part & 1) + 8 * (part >> 1);
    return make_uint2(__byte_perm(lo, hi, 0x5140), __byte_perm(lo, hi, 0x7362));
}

// s = A·B for one 16 × 8 tile of one 32-value block (mma.sync m16n8k32 s8: A row-major 16 × 32, B column-major 32 × 8).
__device__ __forceinline__ void q_mma(int (&s)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %10, %10, %10};\n"
        : "=r"(s[0]), "=r"(s[1]), "=r"(s[2]), "=r"(s[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "r"(0));
}

// An int32 of magnitude below 2^22 as a float, exactly, with two full-rate instructions (I2F runs at a quarter rate):
// 1.5·2^23 + s has s in its mantissa.
__device__ __forceinline__ float q_i2f(int s) { return __int_as_float(0x4B400000 + s) - 12582912.f; }

// One MM × GN output tile on integer tensor cores with p_tile's pipeline (MSTAGES steps of 32 values in flight). Each
// stage: [weight bytes: MM rows × QWRB][scale words: MM × 4 bytes][x: GN rows × QXRB: quants (QSTR) per row, then GN
// float scales | fp32 rows of 128 bytes]; after the stages: MXFP4 weight quants Wq [MM][QSTR]; for fp32 x the x quants
// Xq [GN][QSTR] and scales Xd [GN]. Sizes mirrored by CudaKernels.MmaSharedBytes. Per step: wait for the stage, issue the
// copies of step + MSTAGES − 1, convert what needs it (MXFP4 weights, fp32 x), barrier (only then), mma.
// x: xq ? quants rows xbase .. xbase + cnt − 1 of x (K bytes each) with scales xd (K/32 each) : fp32 rows xrow[m] (−1:
// none). Weight rows sliceRow + r0 .. (r < R); outputs to y rows yrow[m] (−1: none); bias (offset to the slice) may be null.
template <int TY, bool XQ>
__device__ __forceinline__ void q_tile(const void* values, const void* scales, int K, int R, size_t sliceRow, int r0,
                                       const void* x, const float* xd, int xbase, int cnt, const int* xrow, float* y,
                                       const float* bias, const int* yrow)
{
    constexpr int WB = MM * QWRB(TY), SB = MM * 4, XB = GN * QXRB(XQ), STAGE = WB + SB + XB;
    extern __shared__ __align__(16) unsigned char qsm[];
    unsigned char* Wq = qsm + MSTAGES * STAGE;
    unsigned char* Xq = Wq + (TY == TSR_MXFP4 ? MM * QSTR : 0);
    float* Xd = reinterpret_cast<float*>(Xq + GN * QSTR);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp & 3, wn = warp >> 2;
    const int g = lane >> 2, tq = lane & 3;
    const size_t gr0 = sliceRow + (size_t)r0;
    const int nkb = K / MK;
    const unsigned char* wv = reinterpret_cast<const unsigned char*>(values);
    const unsigned char* ws = reinterpret_cast<const unsigned char*>(scales);
    const unsigned char* xv = reinterpret_cast<const unsigned char*>(x);
    const uint32_t t0 = tsr_fp4_table();

    // Copies of step kb into stage st.
    auto issue = [&](int st, int kb) {
        unsigned char* base = qsm + st * STAGE;
        if (TY == TSR_Q8_0)
        {
            const int row = tid >> 1, part = tid & 1;
            const bool ok = r0 + row < R;
            p_cp16(base + row * QSTR + 16 * part, ok ? wv + (gr0 + row) * (size_t)K + (size_t)kb * MK + 16 * part : wv, ok);
        }
        else if (tid < MM)
        {
            const bool ok = r0 + tid < R;
            p_cp16(base + tid * 16, ok ? wv + (gr0 + tid) * (size_t)(K / 2) + (size_t)kb * 16 : wv, ok);
        }
        if (tid >= MTHREADS - MM)
        {
            const int row = tid - (MTHREADS - MM);
            const bool ok = r0 + row < R;
            const size_t idx = (gr0 + row) * (size_t)(K / 32) + kb;
            const size_t byte = TY == TSR_Q8_0 ? 2 * idx : idx;
            p_cp4(base + WB + 4 * row, ok ? ws + (byte & ~(size_t)3) : ws, ok);
        }
        unsigned char* xs = base + WB + SB;
        if (XQ)
        {
            if (tid < 2 * GN)
            {
                const int m = tid >> 1, part = tid & 1;
                const bool ok = m < cnt;
                p_cp16(xs + m * QSTR + 16 * part, ok ? xv + (size_t)(xbase + m) * K + (size_t)kb * MK + 16 * part : xv, ok);
            }
            else if (tid < 3 * GN)
            {
                const int m = tid - 2 * GN;
                const bool ok = m < cnt;
                p_cp4(xs + GN * QSTR + 4 * m, ok ? xd + (size_t)(xbase + m) * (K / 32) + kb : xd, ok);
            }
        }
        else
        {
#pragma unroll
            for (int p = 0; p < 2; p++)
            {
                const int c = tid + MTHREADS * p, m = c >> 3, part = c & 7;
                const int xr = xrow[m];
                p_cp16(xs + m * (4 * MK) + 16 * part, xr >= 0 ? xv + ((size_t)xr * K + (size_t)kb * MK) * 4 + 16 * part : xv, xr >= 0);
            }
        }
    };

    float acc[2][4][4];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[i][j][c] = 0.f;

#pragma unroll
    for (int s = 0; s < MSTAGES - 1; s++)
    {
        if (s < nkb) issue(s, s);
        p_commit();
    }

    for (int kb = 0; kb < nkb; kb++)
    {
        p_wait<MSTAGES - 2>();
        __syncthreads();  // stage kb visible to all; every thread done with step kb − 1 (its stage, Wq, Xq, Xd)
        if (kb + MSTAGES - 1 < nkb) issue((kb + MSTAGES - 1) % MSTAGES, kb + MSTAGES - 1);
        p_commit();

        const unsigned char* base = qsm + (kb % MSTAGES) * STAGE;
        if (TY == TSR_MXFP4)
        {
            const int wr = tid >> 1, hf = tid & 1;   // row wr, weight bytes 8·hf .. 8·hf+7 → quants 16·hf .. 16·hf+15
            const uint2 z = *reinterpret_cast<const uint2*>(base + wr * 16 + 8 * hf);
            uint4 q;
            q_fp4x8(t0, z.x, q.x, q.y);
            q_fp4x8(t0, z.y, q.z, q.w);
            *reinterpret_cast<uint4*>(Wq + wr * QSTR + 16 * hf) = q;
        }
        if (!XQ)
        {
            const int xm = tid >> 2, part = tid & 3;
            const float4 xa = *reinterpret_cast<const float4*>(base + WB + SB + xm * (4 * MK) + 32 * part);
            const float4 xb = *reinterpret_cast<const float4*>(base + WB + SB + xm * (4 * MK) + 32 * part + 16);
            const float v[8] = {xa.x, xa.y, xa.z, xa.w, xb.x, xb.y, xb.z, xb.w};
            float d;
            int at;
            const uint2 q = q_quantise8<TY>(v, part, d, at);
            *reinterpret_cast<uint2*>(Xq + xm * QSTR + at) = q;
            if (part == 0) Xd[xm] = d;
        }
        if (TY == TSR_MXFP4 || !XQ) __syncthreads();  // Wq, Xq, Xd of step kb complete

        const unsigned char* Ws = TY == TSR_MXFP4 ? Wq : base;
        const unsigned char* Xs = XQ ? base + WB + SB : Xq;
        const float* Ds = XQ ? reinterpret_cast<const float*>(base + WB + SB + GN * QSTR) : Xd;
        uint32_t a[2][4], b[4][2];
#pragma unroll
        for (int i = 0; i < 2; i++)
            m_ldsm4(a[i][0], a[i][1], a[i][2], a[i][3],
                    reinterpret_cast<const __half*>(Ws + (32 * wm + 16 * i + (lane & 15)) * QSTR + 16 * (lane >> 4)));
#pragma unroll
        for (int p = 0; p < 2; p++)
            m_ldsm4(b[2 * p][0], b[2 * p][1], b[2 * p + 1][0], b[2 * p + 1][1],
                    reinterpret_cast<const __half*>(Xs + (32 * wn + 16 * p + 8 * (lane >> 4) + (lane & 7)) * QSTR + 16 * ((lane >> 3) & 1)));
        // Scales: weight rows 32·wm + 16·i + g (+8), x members 32·wn + 8·j + 2·tq (+1).
        float dw[2][2], dx[4][2];
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
            for (int h = 0; h < 2; h++)
            {
                const int row = 32 * wm + 16 * i + g + 8 * h;
                const uint32_t word = *reinterpret_cast<const uint32_t*>(base + WB + 4 * row);
                const size_t idx = (gr0 + row) * (size_t)(K / 32) + kb;
                dw[i][h] = TY == TSR_Q8_0 ? __half2float(__ushort_as_half((unsigned short)((idx & 1) ? word >> 16 : word & 0xFFFFu)))
                                          : tsr_e8m0_half((uint8_t)(word >> (8 * (idx & 3))));
            }
#pragma unroll
        for (int j = 0; j < 4; j++)
        {
            const float2 v = *reinterpret_cast<const float2*>(Ds + 32 * wn + 8 * j + 2 * tq);
            dx[j][0] = v.x;
            dx[j][1] = v.y;
        }
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
            for (int j = 0; j < 4; j++)
            {
                int s[4];
                q_mma(s, a[i], b[j][0], b[j][1]);
#pragma unroll
                for (int c = 0; c < 4; c++) acc[i][j][c] = fmaf(q_i2f(s[c]), dw[i][c >> 1] * dx[j][c & 1], acc[i][j][c]);
            }
    }
    p_wait<0>();

    m_store(acc, y, yrow, bias, R, r0, wm, wn, g, tq);
}

// x of the slots quantised in sorted order for the integer grouped GEMM: for sorted row i < offsets[E] (the x row of slot
// q = sorted[i] is q (xPerSlot) or q / k), xq[i·K ..] its K quants (per block in the weight type's order, q_quantise8) and
// xd[i·K/32 ..] its block scales. 8 values per thread, 4 threads per block; the grid strides over slots·K/8 in steps
// uniform over each block, so every lane reaches the shuffles (K/8 is a multiple of 4: a block's 4 threads share a row).
template <int TY>
__device__ __forceinline__ void q_gather(const float* __restrict__ x, int xPerSlot, int k, int E, const int* __restrict__ info,
                                         int K, int slots, int8_t* xq, float* xd)
{
    const int* sorted = info != nullptr ? info + 2 * (E + 1) : nullptr;   // null: rows 0 .. slots − 1 of x in order
    const int used = info != nullptr ? info[E] : slots;
    const int per = K / 8;
    const long long n = (long long)slots * per;
    for (long long v0 = (long long)blockIdx.x * blockDim.x; v0 < n; v0 += (long long)gridDim.x * blockDim.x)
    {
        const long long v = v0 + threadIdx.x;
        const int i = (int)(v / per), c = (int)(v - (long long)i * per);
        const bool live = v < n && i < used;
        float vals[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
        if (live)
        {
            const int q = sorted != nullptr ? sorted[i] : i;
            const int row = xPerSlot ? q : q / k;
            const float4* p = reinterpret_cast<const float4*>(x + (size_t)row * K + 8 * c);
            const float4 a = __ldg(p), b = __ldg(p + 1);
            vals[0] = a.x; vals[1] = a.y; vals[2] = a.z; vals[3] = a.w;
            vals[4] = b.x; vals[5] = b.y; vals[6] = b.z; vals[7] = b.w;
        }
        float d;
        int at;
        const uint2 qv = q_quantise8<TY>(vals, c & 3, d, at);
        if (live)
        {
            *reinterpret_cast<uint2*>(xq + (size_t)i * K + 32 * (c >> 2) + at) = qv;
            if ((c & 3) == 0) xd[(size_t)i * (K / 32) + (c >> 2)] = d;
        }
    }
}

template <int TY>
__device__ __forceinline__ void q_dense(const void* values, const void* scales, int K, int R, const float* x, float* y,
                                        const float* bias, int T)
{
    __shared__ int xrow[GN];
    const int m0 = blockIdx.x * GN;
    if (threadIdx.x < GN)
    {
        const int t = m0 + threadIdx.x;
        xrow[threadIdx.x] = t < T ? t : -1;
    }
    __syncthreads();
    q_tile<TY, false>(values, scales, K, R, 0, blockIdx.y * MM, x, nullptr, 0, 0, xrow, y, bias, xrow);
}

// The dense product from x quantised beforehand (tsr_gather_xq_* without sort info: rows in order), so a K step needs no
// quantisation and, for Q8_0 weights, no conversion; the quants serve every product of the same x (Q, K and V).
template <int TY>
__device__ __forceinline__ void q_dense_xq(const void* values, const void* scales, int K, int R, const int8_t* xq, const float* xd,
                                           float* y, const float* bias, int T)
{
    __shared__ int yrow[GN];
    const int m0 = blockIdx.x * GN;
    if (threadIdx.x < GN)
    {
        const int t = m0 + threadIdx.x;
        yrow[threadIdx.x] = t < T ? t : -1;
    }
    __syncthreads();
    q_tile<TY, true>(values, scales, K, R, 0, blockIdx.y * MM, xq, xd, m0, min(GN, T - m0), nullptr, y, bias, yrow);
}

template <int TY>
__device__ __forceinline__ void q_experts(const void* values, const void* scales, int K, int R, int E, const int8_t* xq,
                                          const float* xd, const int* __restrict__ info, float* y, const float* bias)
{
    __shared__ int yrow[GN];
    int start, cnt;
    const int e = m_expert_tile(E, info, yrow, start, cnt);
    if (e < 0) return;
    q_tile<TY, true>(values, scales, K, R, (size_t)e * R, blockIdx.y * MM, xq, xd, start, cnt, nullptr, y,
                     bias ? bias + (size_t)e * R : nullptr, yrow);
}

#define Q_KERNELS(SUFFIX, TY)                                                                                              \
    extern "C" __global__ void __launch_bounds__(MTHREADS, 2) tsr_gemm_mma_##SUFFIX##i8(                                  \
        const void* values, const void* scales, int K, int R, const float* x, float* y, const float* bias, int T)          \
    {                                                                                                                      \
        q_dense<TY>(values, scales, K, R, x, y, bias, T);                                                                  \
    }                                                                                                                      \
    extern "C" __global__ void __launch_bounds__(MTHREADS, 2) tsr_gemm_mma_xq_##SUFFIX##i8(                               \
        const void* values, const void* scales, int K, int R, const int8_t* xq, const float* xd, float* y, const float* bias, \
        int T)                                                                                                             \
    {                                                                                                                      \
        q_dense_xq<TY>(values, scales, K, R, xq, xd, y, bias, T);                                                          \
    }                                                                                                                      \
    extern "C" __global__ void __launch_bounds__(MTHREADS, 2) tsr_gemm_experts_mma_##SUFFIX##i8(                          \
        const void* values, const void* scales, int K, int R, int E, const int8_t* xq, const float* xd, const int* info,   \
        float* y, const float* bias)                                                                                       \
    {                                                                                                                      \
        q_experts<TY>(values, scales, K, R, E, xq, xd, info, y, bias);                                                     \
    }                                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256) tsr_gather_xq_##SUFFIX##i8(                                         \
        const float* x, int xPerSlot, int k, int E, const int* info, int K, int slots, int8_t* xq, float* xd)              \
    {                                                                                                                      \
        q_gather<TY>(x, xPerSlot, k, E, info, K, slots, xq, xd);                                                           \
    }

Q_KERNELS(q8_0, TSR_Q8_0)
Q_KERNELS(mxfp4, TSR_MXFP4)

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
tsr_swiglu_slots(const float* __restrict__ g, const float* __restrict__ u, float* act, long long n, float alpha, float limit,
                 const int* __restrict__ ids, int E, int R)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        // Slots of experts this weight does not hold were not computed: their rows of act are left as they are.
        const int e = ids[i / R];
        if (e < 0 || e >= E) continue;
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

// Matrix-vector products for decode (few token rows): every weight byte is read once with 16-byte loads, for all rows of x.
// A group of S warps (S = 1, or all 8 warps of a block for the split kernels) owns a task of NX×NRX weight rows: NX x rows
// (the k slots of a token in down_add), NRX weight rows per x row (consecutive rows, or gate and up rows) that share every
// x read. Lane l of the group reads 16-byte chunks l, l + 32·S, ... of each row: G chunks per row per pass are requested
// before any is used (G·NX·NRX loads in flight per lane; one pass covers K = 2880 for Q8_0 and MXFP4), and the first pass
// of a warp's next task is requested before the current task's reduction, so a warp keeps the memory system busy. The first
// task's loads are issued before x is staged in shared memory (swizzled so the lanes' float4 reads hit distinct banks), so
// staging hides behind them. Partial sums meet in a warp-shuffle reduction, then (S > 1) in shared memory in warp order:
// the same order every run (deterministic).
//   tsr_matvec_*       y = W·x (+ bias) for up to three weights of one x (Q, K, V in one launch), T ≤ MV_MAXT rows of x
//                      (tsr_matvec1_*: T = 1);
//                      2 rows per warp task
//   tsr_matvec_split_* the same, one row per block of 8 warps that split K (few rows: the router)
//   tsr_matvec1_route_* one row of the dense kernel with a residual, then the RMSNorm and router of the result (below;
//                      xq ≠ null: the normalised row also left quantised for the gate-up kernel; xs ≠ null: x's quants
//                      copied from xs, where the attention's combine kernel left them)
// Both dense kernels take fusions that remove small kernels from a decode step, each giving the bits the separate
// kernels give: an RMSNorm of x done while x is staged (nw ≠ null: tsr_rmsnorm4's arithmetic in its order; block 0 also
// stores the normalised rows in xout, as the RMSNorm would have), a residual added to the first weight's output
// (res ≠ null: y0 = res + (W·x + b), as tsr_add4 after the product), (dense kernel, rtab ≠ null) RoPE of Q and K and the
// store of K and V into the cache, as tsr_rope_store_heads after the product (and into a sliding-window layer's history,
// as tsr_set_rows after it, when hk, hv ≠ null), and (split kernel, ids ≠ null) the router's
// top-k and softmax done by the block that finishes last (a ticket counter, reset by that block for the next launch).
//   tsr_mv_experts_*   y[q] = W_ids[q]·x_row(q) (+ bias) per slot q (blockIdx.y), 2 rows per task
//   tsr_gate_up_*      act[q] = swiglu_oai(gate_e·x_t + bg, up_e·x_t + bu): 2 gate and 2 up rows per task (integer
//                      path, xq ≠ null: the last block of slot q also leaves act[q] quantised for the down kernel;
//                      xs ≠ null: x's quants copied from xs, not quantised again)
//   tsr_down_add_*     h[t] += Σ_j w_j·(down_e·act_j + b): one output row per task, MV_DK slots of token t at once
//                      (integer path, xq ≠ null: the act rows' quants copied from xq, not quantised again)
// Grids: blockIdx.x strides over tasks (8 tasks per block per pass, 1 for the split kernels), blockIdx.y is the slot or
// token. A 16-byte chunk holds 4 F32, 8 F16, 16 Q8_0 values (half a block) or 32 MXFP4 values (one block).
// Integer path (kernels *_q8_0i8, *_mxfp4i8; same weights): x is staged quantised to Q8_0 as the CPU backend and
// llama.cpp's CPU quantise activations (per 32 values d = f16(amax/127), q = round-half-even(x·127/amax)), and each
// chunk is an integer dot product (dp4a) times the two scales. MXFP4 nibbles become bytes with two byte permutes (one
// for the positive values, one for the negative, each giving 0 for the other sign) against the doubled E2M1 table, and x
// is staged in the order the permutes leave the values in: word g of a block holds x[2g], x[2g+16], x[2g+1], x[2g+17].
// About a third of the F32 path's instructions per weight byte; the results differ from it by the rounding of x to 8 bits.
#include "common.cuh"
#include "topk.cuh"

#define MV_WARPS 8
#define MV_MAXT 4
#define MV_DK 4
#define MV_SU 4   // float4s of x per thread in flight while the integer path stages x

extern __shared__ float4 mv_smem[];

// Position of float4 q of an x row in shared memory: XOR-swizzled within groups of 8 float4s (128 bytes) so that lanes
// reading the same float4 of consecutive chunks (chunks of 16 to 128 bytes of x) land in distinct banks.
__device__ __forceinline__ int mv_swz(int q) { return q ^ ((q >> 3) & 7); }

template <int TY> struct MvFmt;

__device__ __forceinline__ float4 mv_mul(float4 v, float f)
{
    return make_float4(v.x * f, v.y * f, v.z * f, v.w * f);
}

// Calls put(i, v) with float4 i of src for i < n, thread-strided over the block; 4 loads in flight per thread.
template <class Put>
__device__ __forceinline__ void mv_each4(const float4* __restrict__ src, int n, Put put)
{
    const int bd = blockDim.x;
    int i = threadIdx.x;
    for (; i + 3 * bd < n; i += 4 * bd)
    {
        float4 v[4];
#pragma unroll
        for (int u = 0; u < 4; u++) v[u] = __ldg(src + i + u * bd);
#pragma unroll
        for (int u = 0; u < 4; u++) put(i + u * bd, v[u]);
    }
    for (; i < n; i += bd) put(i, __ldg(src + i));
}

// Copies rows × K floats (contiguous) of x into shared memory, times the format's x factor (a power of 2, or 1: no
// multiply), swizzled per row.
template <int TY>
__device__ __forceinline__ void mv_stage(float4* xs, const float* __restrict__ x, int rows, int K)
{
    const float f = MvFmt<TY>::xmul();
    const int K4 = K >> 2;
    mv_each4(reinterpret_cast<const float4*>(x), rows * K4, [&](int j, float4 v) {
        const int t = j / K4, q = j - t * K4;
        xs[t * K4 + mv_swz(q)] = f == 1.f ? v : mv_mul(v, f);
    });
}

// mv_stage with an RMSNorm first: row t of x is staged as (x·scale_t)·nw, scale_t = 1/sqrt(Σx²/K + eps), with the sum in
// tsr_rmsnorm4's order (a float per 4 values, lane-strided warps of 32 float4s reduced by a warp tree, then the warps'
// sums by another), so the staged values are the bits the RMSNorm kernel would have written (K ≤ 4,096). When xout is
// not null the normalised rows are stored there too (one block does it). Needs a block of MV_WARPS warps.
// Thread i of the block takes float4s q = i + 256·u (u < MV_NU) of every row, in both passes: the RMSNorm's warp w sums
// float4s 32·w' .. 32·w' + 31 for w' = w, w + 8, ..., which are these. Each pass requests all its loads before using
// any (one round trip to L2 per row, not one per float4), and the norm weight's loads go out with the first row's.
#define MV_NU (1024 / (MV_WARPS * 32))

// The RMSNorm scales 1/sqrt(Σx²/K + eps) of rows t < rows of x, in tsr_rmsnorm4's order, and the thread's float4s of the
// norm weight (all threads of the block call it).
template <int MAXT>
__device__ __forceinline__ void mv_norm_scales(const float* __restrict__ x, int rows, int K, float eps, float (&scale)[MAXT],
                                               const float* __restrict__ nw, float4 (&g)[MV_NU])
{
    __shared__ float nred[MAXT][32];
    const int K4 = K >> 2;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const float4* src = reinterpret_cast<const float4*>(x);
    const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
    for (int u = 0; u < MV_NU; u++)
    {
        const int q = threadIdx.x + u * MV_WARPS * 32;
        g[u] = q < K4 ? __ldg(reinterpret_cast<const float4*>(nw) + q) : zero;
    }
    for (int t = 0; t < rows; t++)
    {
        float4 v[MV_NU];
#pragma unroll
        for (int u = 0; u < MV_NU; u++)
        {
            const int q = threadIdx.x + u * MV_WARPS * 32;
            v[u] = q < K4 ? __ldg(src + t * K4 + q) : zero;
        }
#pragma unroll
        for (int u = 0; u < MV_NU; u++)
        {
            float s = fmaf(v[u].x, v[u].x, fmaf(v[u].y, v[u].y, fmaf(v[u].z, v[u].z, __fmul_rn(v[u].w, v[u].w))));
            s = tsr_warp_sum(s);
            if (lane == 0) nred[t][warp + u * MV_WARPS] = s;
        }
    }
    __syncthreads();
#pragma unroll
    for (int t = 0; t < MAXT; t++)
        scale[t] = t < rows ? 1.0f / sqrtf(__fdiv_rn(tsr_warp_sum(nred[t][lane]), (float)K) + eps) : 0.f;
}

// x normalised: (x·sc)·g, the bits tsr_rmsnorm4 writes.
__device__ __forceinline__ float4 mv_normed4(float4 v, float4 g, float sc)
{
    return make_float4(__fmul_rn(__fmul_rn(v.x, sc), g.x), __fmul_rn(__fmul_rn(v.y, sc), g.y),
                       __fmul_rn(__fmul_rn(v.z, sc), g.z), __fmul_rn(__fmul_rn(v.w, sc), g.w));
}

// The RMSNorm and staging of rows t < rows of x: put(t, q, o, mask) is called by every thread for each of its float4s q
// of row t (o the normalised values; mask: the lanes of the warp with q < K/4, the others skip the call).
template <int MAXT, class Put>
__device__ __forceinline__ void mv_norm_rows(const float* __restrict__ x, int rows, int K, const float* __restrict__ nw, float eps,
                                             float* xout, Put put)
{
    float scale[MAXT];
    float4 g[MV_NU];
    mv_norm_scales<MAXT>(x, rows, K, eps, scale, nw, g);
    const int K4 = K >> 2;
    const float4* src = reinterpret_cast<const float4*>(x);
#pragma unroll
    for (int t = 0; t < MAXT; t++)
    {
        if (t >= rows) break;
        float4 v[MV_NU];
#pragma unroll
        for (int u = 0; u < MV_NU; u++)
        {
            const int q = threadIdx.x + u * MV_WARPS * 32;
            if (q < K4) v[u] = __ldg(src + t * K4 + q);
        }
#pragma unroll
        for (int u = 0; u < MV_NU; u++)
        {
            const int q = threadIdx.x + u * MV_WARPS * 32;
            const unsigned mask = __ballot_sync(0xFFFFFFFFu, q < K4);
            if (q < K4)
            {
                const float4 o = mv_normed4(v[u], g[u], scale[t]);
                if (xout != nullptr) reinterpret_cast<float4*>(xout)[t * K4 + q] = o;
                put(t, q, o, mask);
            }
        }
    }
}

template <int TY, int MAXT>
__device__ __forceinline__ void mv_stage_norm(float4* xs, const float* __restrict__ x, int rows, int K,
                                              const float* __restrict__ nw, float eps, float* xout)
{
    const float f = MvFmt<TY>::xmul();
    const int K4 = K >> 2;
    mv_norm_rows<MAXT>(x, rows, K, nw, eps, xout, [&](int t, int q, float4 o, unsigned) { xs[t * K4 + mv_swz(q)] = f == 1.f ? o : mv_mul(o, f); });
}

// Signed byte i of the word u ^ 0x80808080 as a float, exactly: 2^23 + unsigned byte, minus 2^23 + 128 (no cvt).
__device__ __forceinline__ float mv_q8(uint32_t u, int i)
{
    return __int_as_float(__byte_perm(u, 0x4B000000u, 0x7440u | i)) - 8388736.0f;
}

__device__ __forceinline__ float2 mv_h2(uint32_t v)
{
    return make_float2(__half2float(__ushort_as_half((unsigned short)(v & 0xFFFFu))),
                       __half2float(__ushort_as_half((unsigned short)(v >> 16))));
}

// The bits of a where C has ones, of b elsewhere: one LOP3 (written out, as the compiler splits the expression in two).
template <uint32_t C>
__device__ __forceinline__ uint32_t mv_sel(uint32_t a, uint32_t b)
{
    uint32_t d;
    asm("lop3.b32 %0, %1, %2, %3, 0xE4;" : "=r"(d) : "r"(a), "r"(b), "n"(C));
    return d;
}

// The 8 E2M1 values of word z as floats, exactly E2M1 × 2^-126 (ggml's doubled value × 2^-127), with integer ops only (no
// conversion): lo[b] from the low nibble of byte b, hi[b] from its high nibble. A nibble's magnitude bits (e1 e0 m) go to
// f32 bits 24..22 (exponent field e, mantissa msb m: e = 0 gives the f32 denormal m·2^-127, e ≥ 1 the normal
// (1 + m/2)·2^(e−127), both E2M1 × 2^-126) and its sign to bit 31. Two words bring each nibble's sign 9 bits above its
// magnitude: `up` for nibbles 0, 1, 4, 5 (signs moved up 6 bits, onto bits the other nibbles' magnitudes held), `dn` for
// nibbles 2, 3, 6, 7 (magnitudes moved down 6 bits, signs in place); then one shift and one mask per value.
__device__ __forceinline__ void mv_fp4x8(uint32_t z, float (&lo)[4], float (&hi)[4])
{
    const uint32_t up = mv_sel<0x22002200u>(z << 6, z);
    const uint32_t dn = mv_sel<0x88008800u>(z, z >> 6);
    const uint32_t m = 0x81C00000u;
    lo[0] = __uint_as_float((up << 22) & m);
    hi[0] = __uint_as_float((up << 18) & m);
    lo[1] = __uint_as_float((dn << 20) & m);
    hi[1] = __uint_as_float((dn << 16) & m);
    lo[2] = __uint_as_float((up << 6) & m);
    hi[2] = __uint_as_float((up << 2) & m);
    lo[3] = __uint_as_float((dn << 4) & m);
    hi[3] = __uint_as_float(dn & m);
}

// Asks L2 for the line holding p (no register, no wait): the small weights a kernel reads after a product (biases, the
// norm weight) are then an L2 hit, not a trip to memory, when the product is done.
__device__ __forceinline__ void mv_prefetch(const void* p)
{
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}

// 16 bytes of weights streamed once: read-only path, not kept in L1.
__device__ __forceinline__ uint4 mv_ld(const uint4* p)
{
    uint4 v;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
        : "l"(p));
    return v;
}

// Per type: values per 16-byte chunk, the factor of the chunk sum before its scale, the factor of x in shared memory, the
// first block scale of a row, and the scale of chunk c of a row from that pointer.
// MXFP4: a weight decodes to doubled × 2^-127 (mv_fp4x8) and x is staged times 2^64, so a product is doubled·x·2^-63 and
// each FFMA rounds exactly as doubled·x (+ sum) would (powers of 2 commute with rounding while results stay normal: the
// scaled partial sums are normal unless |partial sum of doubled·x| < 2^-64, where only absolute errors ≤ 2^-87 per step
// arise; x is finite after scaling for |x| < 2^64). The chunk sum times 2^63 is then exact, times the block's 2^(e−128).
template <> struct MvFmt<TSR_F32>
{
    enum { VPC = 4 };
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float xmul() { return 1.f; }
    static __device__ __forceinline__ const void* base(const void*, size_t, int) { return nullptr; }
    static __device__ __forceinline__ float scale(const void*, int) { return 1.f; }
};
template <> struct MvFmt<TSR_F16>
{
    enum { VPC = 8 };
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float xmul() { return 1.f; }
    static __device__ __forceinline__ const void* base(const void*, size_t, int) { return nullptr; }
    static __device__ __forceinline__ float scale(const void*, int) { return 1.f; }
};
template <> struct MvFmt<TSR_Q8_0>
{
    enum { VPC = 16 };
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float xmul() { return 1.f; }
    static __device__ __forceinline__ const void* base(const void* s, size_t row, int K)
    {
        return reinterpret_cast<const unsigned short*>(s) + row * (size_t)(K / 32);
    }
    static __device__ __forceinline__ float scale(const void* s, int c)
    {
        return __half2float(__ushort_as_half(__ldg(reinterpret_cast<const unsigned short*>(s) + (c >> 1))));
    }
};
template <> struct MvFmt<TSR_MXFP4>
{
    enum { VPC = 32 };
    static __device__ __forceinline__ float pre() { return 9223372036854775808.f; } // 2^63
    static __device__ __forceinline__ float xmul() { return 18446744073709551616.f; } // 2^64
    static __device__ __forceinline__ const void* base(const void* s, size_t row, int K)
    {
        return reinterpret_cast<const uint8_t*>(s) + row * (size_t)(K / 32);
    }
    static __device__ __forceinline__ float scale(const void* s, int c)
    {
        return tsr_e8m0_half(__ldg(reinterpret_cast<const uint8_t*>(s) + c));
    }
};

template <> struct MvFmt<TSR_Q8_0_I8> : MvFmt<TSR_Q8_0>
{
    static __device__ __forceinline__ float pre() { return 1.f; }
};
template <> struct MvFmt<TSR_MXFP4_I8> : MvFmt<TSR_MXFP4>
{
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float xmul() { return 1.f; }
};

__device__ __forceinline__ constexpr bool mv_int8(int ty) { return ty == TSR_Q8_0_I8 || ty == TSR_MXFP4_I8; }

// Shared memory of the integer path: per x row the K quants, then its K/32 scales (floats), padded to 16 bytes.
__device__ __forceinline__ int mv_rs4(int K) { return (K + ((K / 8 + 15) & ~15)) >> 4; }
__device__ __forceinline__ const int4* mv_xq(const float4* xs, int K, int t)
{
    return reinterpret_cast<const int4*>(xs + (size_t)t * mv_rs4(K));
}
__device__ __forceinline__ const float* mv_xd(const float4* xs, int K, int t)
{
    return reinterpret_cast<const float*>(xs + (size_t)t * mv_rs4(K)) + (K >> 2);
}

// Quantises float4 j of x row t (values v, as they would be staged in f32) into shared memory; the 8 threads of a block
// of 32 values (8 consecutive lanes, all active or none: `mask` holds the active lanes) find its amax together.
template <int TY>
__device__ __forceinline__ void mv_quantise4(float4* xs, int K, int t, int j, float4 v, unsigned mask)
{
    float amax = fmaxf(fmaxf(fabsf(v.x), fabsf(v.y)), fmaxf(fabsf(v.z), fabsf(v.w)));
    amax = fmaxf(amax, __shfl_xor_sync(mask, amax, 1));
    amax = fmaxf(amax, __shfl_xor_sync(mask, amax, 2));
    amax = fmaxf(amax, __shfl_xor_sync(mask, amax, 4));
    const float inv = amax != 0.f ? __fdiv_rn(127.f, amax) : 0.f;
    const int q0 = __float2int_rn(__fmul_rn(v.x, inv)), q1 = __float2int_rn(__fmul_rn(v.y, inv));
    const int q2 = __float2int_rn(__fmul_rn(v.z, inv)), q3 = __float2int_rn(__fmul_rn(v.w, inv));
    unsigned char* row = reinterpret_cast<unsigned char*>(xs + (size_t)t * mv_rs4(K));
    const int b = j >> 3, f = j & 7;   // block, float4 within it
    if (TY == TSR_MXFP4_I8)
    {
        // Value i of a block goes to byte 4·(i/2) + (i odd ? 2 : 0) (i < 16), 4·((i−16)/2) + (i odd ? 3 : 1) (i ≥ 16).
        unsigned char* blk = row + 32 * b;
        const int i = 4 * (f & 3), hi = f >> 2;
        blk[2 * i + hi] = (unsigned char)q0;
        blk[2 * i + 2 + hi] = (unsigned char)q1;
        blk[2 * i + 4 + hi] = (unsigned char)q2;
        blk[2 * i + 6 + hi] = (unsigned char)q3;
    }
    else
    {
        reinterpret_cast<int*>(row)[j] = (q0 & 0xFF) | (q1 & 0xFF) << 8 | (q2 & 0xFF) << 16 | (int)((unsigned)q3 << 24);
    }
    if (f == 0) reinterpret_cast<float*>(row)[(K >> 2) + b] = __half2float(__float2half_rn(__fdiv_rn(amax, 127.f)));
}

// isum += Σ over the 8 values of MXFP4 word z (nibbles as mv_quantise4 orders x) · the 8 quants in xa (values of the
// low half), xb (high half): the positive values of one permute (tsr_fp4_prmt) minus the magnitudes of the negative of
// the other. t0 = tsr_fp4_table(), in a register of its own.
__device__ __forceinline__ void mv_fp4_dot(uint32_t t0, uint32_t z, int xa, int xb, int& pos, int& neg)
{
    const uint32_t zn = z ^ 0x88888888u;
    pos = __dp4a((int)tsr_fp4_prmt(t0, z), xa, pos);
    neg = __dp4a((int)tsr_fp4_prmt(t0, zn), xa, neg);
    pos = __dp4a((int)tsr_fp4_prmt(t0, z >> 16), xb, pos);
    neg = __dp4a((int)tsr_fp4_prmt(t0, zn >> 16), xb, neg);
}

// Copies n float4s (a staged layout written by an earlier kernel) into shared memory as they are.
__device__ __forceinline__ void mv_copy4(float4* xs, const float4* __restrict__ src, int n)
{
    mv_each4(src, n, [&](int j, float4 v) { xs[j] = v; });
}

// x staged for the kernel's format: f32 (mv_stage), or quantised for the integer path. L2: x was written by other blocks
// of the running kernel, so the integer path reads it through L2 (ld.global.cg), not the read-only path.
template <int TY, bool L2 = false>
__device__ __forceinline__ void mv_stage_x(float4* xs, const float* __restrict__ x, int rows, int K)
{
    if (!mv_int8(TY))
    {
        mv_stage<TY>(xs, x, rows, K);
        return;
    }
    // n is a multiple of 8: whole blocks of 32 values. MV_SU float4s per thread are requested before any is quantised.
    const int K4 = K >> 2, n = rows * K4;
    const float4* src = reinterpret_cast<const float4*>(x);
    for (int base = 0; base < n; base += MV_SU * blockDim.x)
    {
        float4 v[MV_SU];
#pragma unroll
        for (int u = 0; u < MV_SU; u++)
        {
            const int i = base + u * blockDim.x + threadIdx.x;
            v[u] = i < n ? (L2 ? __ldcg(src + i) : __ldg(src + i)) : make_float4(0.f, 0.f, 0.f, 0.f);
        }
#pragma unroll
        for (int u = 0; u < MV_SU; u++)
        {
            const int i = base + u * blockDim.x + threadIdx.x;
            const unsigned mask = __ballot_sync(0xFFFFFFFFu, i < n);
            if (i < n)
            {
                const int t = i / K4;
                mv_quantise4<TY>(xs, K, t, i - t * K4, v[u], mask);
            }
        }
    }
}

// mv_stage_norm for the kernel's format: the integer path quantises the normalised values (the f32 path's bits).
template <int TY, int MAXT>
__device__ __forceinline__ void mv_stage_norm_x(float4* xs, const float* __restrict__ x, int rows, int K,
                                                const float* __restrict__ nw, float eps, float* xout)
{
    if (!mv_int8(TY))
    {
        mv_stage_norm<TY, MAXT>(xs, x, rows, K, nw, eps, xout);
        return;
    }
    mv_norm_rows<MAXT>(x, rows, K, nw, eps, xout, [&](int t, int q, float4 o, unsigned mask) { mv_quantise4<TY>(xs, K, t, q, o, mask); });
}

// s[t][n] += (chunk of weight row n) · (x row t at float4 cb ..), unscaled, for t < T.
template <int TY, int NR, int MAXT>
__device__ __forceinline__ void mv_chunk(const uint4 (&w)[NR], const float4* __restrict__ xs, int K4, int cb, int T,
                                         float (&s)[MAXT][NR], uint32_t t0)
{
    if (TY == TSR_Q8_0_I8)   // chunk = half a block: 16 quants of x, its block's scale
    {
        const int K = K4 << 2, c = cb >> 2;
#pragma unroll
        for (int t = 0; t < MAXT; t++)
        {
            if (t >= T) break;
            const int4 xq = mv_xq(xs, K, t)[c];
            const float d = mv_xd(xs, K, t)[c >> 1];
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                int a = __dp4a((int)w[n].x, xq.x, 0);
                a = __dp4a((int)w[n].y, xq.y, a);
                a = __dp4a((int)w[n].z, xq.z, a);
                a = __dp4a((int)w[n].w, xq.w, a);
                s[t][n] = __int2float_rn(a) * d;
            }
        }
        return;
    }
    if (TY == TSR_MXFP4_I8)   // chunk = one block: 32 quants of x (2 × 16 bytes), its scale
    {
        const int K = K4 << 2, c = cb >> 3;
#pragma unroll
        for (int t = 0; t < MAXT; t++)
        {
            if (t >= T) break;
            const int4 xa = mv_xq(xs, K, t)[2 * c], xb = mv_xq(xs, K, t)[2 * c + 1];
            const float d = mv_xd(xs, K, t)[c];
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                int pos = 0, neg = 0;
                mv_fp4_dot(t0, w[n].x, xa.x, xa.y, pos, neg);
                mv_fp4_dot(t0, w[n].y, xa.z, xa.w, pos, neg);
                mv_fp4_dot(t0, w[n].z, xb.x, xb.y, pos, neg);
                mv_fp4_dot(t0, w[n].w, xb.z, xb.w, pos, neg);
                s[t][n] = __int2float_rn(pos - neg) * d;
            }
        }
        return;
    }
    if (TY == TSR_F32)
    {
#pragma unroll
        for (int t = 0; t < MAXT; t++)
        {
            if (t >= T) break;
            const float4 xv = xs[t * K4 + mv_swz(cb)];
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                float a = s[t][n];
                a = fmaf(__uint_as_float(w[n].x), xv.x, a);
                a = fmaf(__uint_as_float(w[n].y), xv.y, a);
                a = fmaf(__uint_as_float(w[n].z), xv.z, a);
                a = fmaf(__uint_as_float(w[n].w), xv.w, a);
                s[t][n] = a;
            }
        }
    }
    else if (TY == TSR_F16)
    {
#pragma unroll
        for (int f = 0; f < 2; f++)
        {
            float wv[NR][4];
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                const float2 a = mv_h2(tsr_word(w[n], 2 * f)), b = mv_h2(tsr_word(w[n], 2 * f + 1));
                wv[n][0] = a.x; wv[n][1] = a.y; wv[n][2] = b.x; wv[n][3] = b.y;
            }
#pragma unroll
            for (int t = 0; t < MAXT; t++)
            {
                if (t >= T) break;
                const float4 xv = xs[t * K4 + mv_swz(cb + f)];
#pragma unroll
                for (int n = 0; n < NR; n++)
                {
                    float a = s[t][n];
                    a = fmaf(wv[n][0], xv.x, a);
                    a = fmaf(wv[n][1], xv.y, a);
                    a = fmaf(wv[n][2], xv.z, a);
                    a = fmaf(wv[n][3], xv.w, a);
                    s[t][n] = a;
                }
            }
        }
    }
    else if (TY == TSR_Q8_0)
    {
#pragma unroll
        for (int f = 0; f < 4; f++)
        {
            float wv[NR][4];
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                const uint32_t u = tsr_word(w[n], f) ^ 0x80808080u;
#pragma unroll
                for (int i = 0; i < 4; i++) wv[n][i] = mv_q8(u, i);
            }
#pragma unroll
            for (int t = 0; t < MAXT; t++)
            {
                if (t >= T) break;
                const float4 xv = xs[t * K4 + mv_swz(cb + f)];
#pragma unroll
                for (int n = 0; n < NR; n++)
                {
                    float a = s[t][n];
                    a = fmaf(wv[n][0], xv.x, a);
                    a = fmaf(wv[n][1], xv.y, a);
                    a = fmaf(wv[n][2], xv.z, a);
                    a = fmaf(wv[n][3], xv.w, a);
                    s[t][n] = a;
                }
            }
        }
    }
    else // MXFP4: word f holds values 4f..4f+3 (low nibbles) and 16+4f..16+4f+3 (high nibbles)
    {
#pragma unroll
        for (int f = 0; f < 4; f++)
        {
            float lo[NR][4], hi[NR][4];
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                mv_fp4x8(tsr_word(w[n], f), lo[n], hi[n]);
            }
#pragma unroll
            for (int t = 0; t < MAXT; t++)
            {
                if (t >= T) break;
                const float4 xl = xs[t * K4 + mv_swz(cb + f)];
                const float4 xh = xs[t * K4 + mv_swz(cb + 4 + f)];
#pragma unroll
                for (int n = 0; n < NR; n++)
                {
                    float a = s[t][n];
                    a = fmaf(lo[n][0], xl.x, a);
                    a = fmaf(lo[n][1], xl.y, a);
                    a = fmaf(lo[n][2], xl.z, a);
                    a = fmaf(lo[n][3], xl.w, a);
                    a = fmaf(hi[n][0], xh.x, a);
                    a = fmaf(hi[n][1], xh.y, a);
                    a = fmaf(hi[n][2], xh.z, a);
                    a = fmaf(hi[n][3], xh.w, a);
                    s[t][n] = a;
                }
            }
        }
    }
}


// Chunks per row per pass per lane for a task of NR rows: a pass of one warp covers K = 2880 (and 4096 in two passes) for
// Q8_0 (6 chunks) and MXFP4 (3); fewer with 4 rows, so that the G·NR 16-byte loads of a lane fit in registers.
template <int TY, int NR>
struct MvG
{
    enum { G = TY == TSR_MXFP4 || TY == TSR_MXFP4_I8 ? 3 : TY == TSR_Q8_0 || TY == TSR_Q8_0_I8 ? (NR > 2 ? 3 : 6) : (NR > 2 ? 2 : 4) };
};

// The weight rows of a task: w[i][n] = first chunk of the row (null: no row, its sums stay 0), s[i][n] = its scales.
template <int NX, int NRX>
struct MvRows
{
    const uint4* w[NX][NRX];
    const void* s[NX][NRX];
};

// Sets row (i, n) of P to global row `row` of a weight (values v, scales s), or to no row when ok is false. The integer
// path has no null rows, which spares every load its test: a row that is not set reads row 0 of the same weight, and its
// sums are never stored (every job's store skips the rows and slots it did not set). Its offsets are 32-bit (a weight of the
// matrix-vector kernels has fewer than 2^32 16-byte chunks, which the host checks).
template <int TY, int NX, int NRX>
__device__ __forceinline__ void mv_set(MvRows<NX, NRX>& P, int i, int n, bool ok, const void* v, const void* s, size_t row, int K)
{
    if (mv_int8(TY))
    {
        const unsigned r = ok ? (unsigned)row : 0u, nch = (unsigned)K / MvFmt<TY>::VPC;
        P.w[i][n] = reinterpret_cast<const uint4*>(v) + r * nch;
        P.s[i][n] = TY == TSR_MXFP4_I8 ? (const void*)(reinterpret_cast<const uint8_t*>(s) + r * ((unsigned)K / 32))
                                       : (const void*)(reinterpret_cast<const unsigned short*>(s) + r * ((unsigned)K / 32));
        return;
    }
    P.w[i][n] = ok ? reinterpret_cast<const uint4*>(v) + row * (size_t)(K / MvFmt<TY>::VPC) : nullptr;
    P.s[i][n] = ok ? MvFmt<TY>::base(s, row, K) : nullptr;
}

// The chunk a lane reads for chunk c of a row on the integer path of the expert kernels (tasks of 4 rows and more): past
// the row, the last one again, with scale 0 (its integer sum is finite, so it adds exactly 0), so that no load or chunk
// needs a branch. (The dense kernels, with 2 rows a task, keep their tests: without them ptxas spills registers.)
__device__ __forceinline__ int mv_cc(int c, int nch) { return min(c, nch - 1); }
__device__ __forceinline__ constexpr bool mv_lean(int ty, int rows) { return mv_int8(ty) && rows >= 4; }

// Requests the pass starting at chunk c0: chunk c0 + vl + 32·S·g of every row, g < G (zeros past the row or for no row).
template <int TY, int NX, int NRX, int S>
__device__ __forceinline__ void mv_load(uint4 (&w)[MvG<TY, NX * NRX>::G][NX][NRX], float (&sc)[MvG<TY, NX * NRX>::G][NX][NRX],
                                        const MvRows<NX, NRX>& P, int nch, int c0, int vl)
{
#pragma unroll
    for (int g = 0; g < MvG<TY, NX * NRX>::G; g++)
    {
        const int c = c0 + vl + 32 * S * g;
        if (mv_lean(TY, NX * NRX))
        {
            const int cc = mv_cc(c, nch);
            const float in = c < nch ? 1.f : 0.f;
#pragma unroll
            for (int i = 0; i < NX; i++)
#pragma unroll
                for (int n = 0; n < NRX; n++)
                {
                    w[g][i][n] = mv_ld(P.w[i][n] + cc);
                    sc[g][i][n] = MvFmt<TY>::scale(P.s[i][n], cc) * in;
                }
        }
        else
        {
#pragma unroll
            for (int i = 0; i < NX; i++)
#pragma unroll
                for (int n = 0; n < NRX; n++)
                {
                    if (c < nch && P.w[i][n] != nullptr)
                    {
                        w[g][i][n] = mv_ld(P.w[i][n] + c);
                        sc[g][i][n] = MvFmt<TY>::scale(P.s[i][n], c);
                    }
                    else
                    {
                        w[g][i][n] = make_uint4(0, 0, 0, 0);
                        sc[g][i][n] = 0.f;
                    }
                }
        }
    }
}

// acc[i][t][n] += the pass's chunks of row (i, n) · x row t of x group i (xg[i]: T rows of K4 float4s in shared memory).
template <int TY, int NX, int NRX, int MAXT, int S>
__device__ __forceinline__ void mv_compute(const uint4 (&w)[MvG<TY, NX * NRX>::G][NX][NRX], const float (&sc)[MvG<TY, NX * NRX>::G][NX][NRX],
                                           const float4* const (&xg)[NX], int K4, int T, int nch, int c0, int vl,
                                           float (&acc)[NX][MAXT][NRX], uint32_t t0)
{
    typedef MvFmt<TY> Fmt;
#pragma unroll
    for (int g = 0; g < MvG<TY, NX * NRX>::G; g++)
    {
        const int c = mv_lean(TY, NX * NRX) ? mv_cc(c0 + vl + 32 * S * g, nch) : c0 + vl + 32 * S * g;
        if (mv_lean(TY, NX * NRX) || c < nch)
        {
#pragma unroll
            for (int i = 0; i < NX; i++)
            {
                float s[MAXT][NRX];
#pragma unroll
                for (int t = 0; t < MAXT; t++)
#pragma unroll
                    for (int n = 0; n < NRX; n++) s[t][n] = 0.f;
                mv_chunk<TY, NRX, MAXT>(w[g][i], xg[i], K4, c * (Fmt::VPC / 4), T, s, t0);
#pragma unroll
                for (int t = 0; t < MAXT; t++)
#pragma unroll
                    for (int n = 0; n < NRX; n++) acc[i][t][n] = fmaf(s[t][n] * Fmt::pre(), sc[g][i][n], acc[i][t][n]);
            }
        }
    }
}

// Sums acc over the group's lanes: a warp-shuffle reduction, then (S > 1) the warps' sums in shared memory in warp order.
// Lane 0 of the group (vl == 0) holds the full sums afterwards. With S > 1 every thread of the block must call it.
template <int NX, int MAXT, int NRX, int S>
__device__ __forceinline__ void mv_reduce(float (&acc)[NX][MAXT][NRX], int T)
{
#pragma unroll
    for (int i = 0; i < NX; i++)
#pragma unroll
        for (int t = 0; t < MAXT; t++)
        {
            if (t >= T) break;
#pragma unroll
            for (int n = 0; n < NRX; n++) acc[i][t][n] = tsr_warp_sum(acc[i][t][n]);
        }
    if (S > 1)
    {
        __shared__ float red[MV_WARPS][NX * MAXT * NRX];
        const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
        if (lane == 0)
        {
#pragma unroll
            for (int i = 0; i < NX; i++)
#pragma unroll
                for (int t = 0; t < MAXT; t++)
#pragma unroll
                    for (int n = 0; n < NRX; n++) red[warp][(i * MAXT + t) * NRX + n] = acc[i][t][n];
        }
        __syncthreads();
        if ((threadIdx.x & (32 * S - 1)) == 0)
        {
            const int w0 = warp & ~(S - 1);
#pragma unroll
            for (int i = 0; i < NX; i++)
#pragma unroll
                for (int t = 0; t < MAXT; t++)
#pragma unroll
                    for (int n = 0; n < NRX; n++)
                    {
                        float v = red[w0][(i * MAXT + t) * NRX + n];
                        for (int u = 1; u < S; u++) v += red[w0 + u][(i * MAXT + t) * NRX + n];
                        acc[i][t][n] = v;
                    }
        }
        __syncthreads();
    }
}

// The task loop shared by every kernel. Job: tasks() (count), subs() (passes over x groups per task, summed by the job),
// rows(task, sub, P), stage() (x into shared memory, all threads), xrows(sub, xg) (x group pointers), store(task, sub, acc, T)
// (called by every thread; writes where vl == 0), prefetch() (before the wait for the kernel before: L2 prefetches of
// weights the staging reads). Tasks task0, task0 + step, ... go to group `grp` of the block.
template <int TY, int NX, int NRX, int MAXT, int S, class Job>
__device__ __forceinline__ void mv_run(Job& job, int K, int T)
{
    typedef MvFmt<TY> Fmt;
    const int GPB = MV_WARPS / S;
    const int nch = K / Fmt::VPC, K4 = K >> 2;
    const int vl = threadIdx.x & (32 * S - 1);
    const int grp = threadIdx.x / (32 * S);
    const int ntasks = job.tasks(), nsub = job.subs();
    const int step = gridDim.x * GPB;
    int task = blockIdx.x * GPB + grp, sub = 0;
    uint4 w[MvG<TY, NX * NRX>::G][NX][NRX];
    float sc[MvG<TY, NX * NRX>::G][NX][NRX];
    MvRows<NX, NRX> P;
    const uint32_t t0 = tsr_fp4_table();
    if (task < ntasks)
    {
        job.rows(task, 0, P);
        mv_load<TY, NX, NRX, S>(w, sc, P, nch, 0, vl);
    }
    job.prefetch();
    // The first weights are in flight while the kernel before finishes (programmatic launch; jobs whose rows depend on
    // earlier results, the expert ids, waited already).
    TSR_PDL_WAIT();
    TSR_PDL_TRIGGER();
    job.stage();
    __syncthreads();
    while (task < ntasks)
    {
        float acc[NX][MAXT][NRX];
#pragma unroll
        for (int i = 0; i < NX; i++)
#pragma unroll
            for (int t = 0; t < MAXT; t++)
#pragma unroll
                for (int n = 0; n < NRX; n++) acc[i][t][n] = 0.f;
        const float4* xg[NX];
        job.xrows(sub, xg);
        for (int c0 = 0;;)
        {
            mv_compute<TY, NX, NRX, MAXT, S>(w, sc, xg, K4, T, nch, c0, vl, acc, t0);
            c0 += 32 * S * MvG<TY, NX * NRX>::G;
            if (c0 >= nch) break;
            mv_load<TY, NX, NRX, S>(w, sc, P, nch, c0, vl);
        }
        int next = task, nsb = sub + 1;
        if (nsb == nsub)
        {
            nsb = 0;
            next += step;
        }
        if (next < ntasks)
        {
            job.rows(next, nsb, P);
            mv_load<TY, NX, NRX, S>(w, sc, P, nch, 0, vl);
        }
        mv_reduce<NX, MAXT, NRX, S>(acc, T);
        job.store(task, sub, acc, T, vl == 0);
        task = next;
        sub = nsb;
    }
}

// y_m[t·R_m + r] = W_m[r]·x_t + b_m[r] for the rows of up to three weights (R_m = 0: absent), t < T ≤ MV_MAXT; task =
// NRX consecutive rows of one weight. Shared memory: T·K floats.
template <int TY, int NRX, int MAXT>
struct MvDenseJob
{
    const void *v0, *s0, *v1, *s1, *v2, *s2;
    float *y0, *y1, *y2;
    const float *b0, *b1, *b2;
    int R0, R1, R2, K, T;
    const float* x;
    int P0, P1, P2;
    const float* nw;   // RMSNorm weight of x (null: x as it is)
    float eps;
    float* xout;       // where block 0 stores the normalised x (null: nowhere)
    const float* res;  // residual added to y0 (null: none); may be y0 itself
    // RoPE and the cache store after the product (rtab ≠ null; Q, K, V with NRX = 2, no residual): tsr_rope_store_heads's
    // arithmetic on the products as stored. A task of Q or K takes rows j and j + rd/2 of one head (a rotated pair), roped
    // with the table row of its token's position (rpos) and stored roped; K and V rows also go to cache row rslots[t]
    // (F16 when rf16, else F32).
    const float* rtab;
    const int *rpos, *rslots;
    void *kc, *vc;
    void *hk, *hv;     // a sliding-window layer's history of every position: K and V also go to row rpos[t] (null: none)
    int rd, rf16;

    __device__ __forceinline__ int tasks() const { return P0 + P1 + P2; }
    // Row n of a task of weight m whose first row is r (consecutive rows; with RoPE, Q and K tasks are rotated pairs).
    __device__ __forceinline__ int row(int m, int r, int n) const
    {
        if (rtab == nullptr || m == 2) return r + n;
        const int half = rd >> 1, idx = r / NRX;
        return idx / half * rd + idx % half + n * half;
    }
    __device__ __forceinline__ int subs() const { return 1; }
    // Weight m and first row r of a task.
    __device__ __forceinline__ void pick(int task, int& m, int& r) const
    {
        if (task < P0) { m = 0; r = task * NRX; }
        else if (task < P0 + P1) { m = 1; r = (task - P0) * NRX; }
        else { m = 2; r = (task - P0 - P1) * NRX; }
    }
    __device__ __forceinline__ void rows(int task, int, MvRows<1, NRX>& P) const
    {
        int m, r;
        pick(task, m, r);
        const void* v = m == 0 ? v0 : m == 1 ? v1 : v2;
        const void* s = m == 0 ? s0 : m == 1 ? s1 : s2;
        const int R = m == 0 ? R0 : m == 1 ? R1 : R2;
        const float* b = m == 0 ? b0 : m == 1 ? b1 : b2;
#pragma unroll
        for (int n = 0; n < NRX; n++)
        {
            const int rr = row(m, r, n);
            mv_set<TY, 1, NRX>(P, 0, n, rr < R, v, s, (size_t)rr, K);
            if (b != nullptr && rr < R) mv_prefetch(b + rr);
        }
    }
    // The norm weight's lines, before the wait for the kernel before.
    __device__ __forceinline__ void prefetch() const
    {
        if (nw != nullptr && (int)threadIdx.x * 32 < K) mv_prefetch(nw + threadIdx.x * 32);
    }
    __device__ __forceinline__ void stage() const
    {
        if (nw != nullptr) mv_stage_norm_x<TY, MAXT>(mv_smem, x, T, K, nw, eps, xout);
        else mv_stage_x<TY>(mv_smem, x, T, K);
    }
    __device__ __forceinline__ void xrows(int, const float4* (&xg)[1]) const { xg[0] = mv_smem; }
    __device__ __forceinline__ void rope_store(int m, int r, const float (&acc)[1][MAXT][NRX], float* y, const float* b, int R) const
    {
        const int r0 = row(m, r, 0), r1 = row(m, r, 1);
        const float b0v = b ? b[r0] : 0.f, b1v = b && r1 < R ? b[r1] : 0.f;
#pragma unroll
        for (int t = 0; t < MAXT; t++)
        {
            if (t >= T) break;
            const size_t cacheRow = (size_t)rslots[t] * R;
            float v0 = acc[0][t][0] + b0v, v1 = acc[0][t][NRX - 1] + b1v;
            if (m < 2)   // a rotated pair: rows r0 = head·rd + j and r1 = r0 + rd/2
            {
                const float* tab = rtab + (size_t)rpos[t] * rd;
                const int j = r0 % rd;
                const float c = tab[2 * j], sn = tab[2 * j + 1];
                const float x0 = v0, x1 = v1;
                v0 = fmaf(x0, c, -__fmul_rn(x1, sn));
                v1 = fmaf(x0, sn, __fmul_rn(x1, c));
            }
            y[(size_t)t * R + r0] = v0;
            if (r1 < R) y[(size_t)t * R + r1] = v1;
            if (m == 0) continue;
            put(m == 1 ? kc : vc, cacheRow, r0, r1, R, v0, v1);
            void* history = m == 1 ? hk : hv;
            if (history != nullptr) put(history, (size_t)rpos[t] * R, r0, r1, R, v0, v1);
        }
    }
    // Rows r0 and r1 (if < R) of cache row `at` (offset in values): F16 (rf16) or F32, as tsr_set_rows stores them.
    __device__ __forceinline__ void put(void* cache, size_t at, int r0, int r1, int R, float v0, float v1) const
    {
        if (rf16)
        {
            ((__half*)cache)[at + r0] = __float2half_rn(v0);
            if (r1 < R) ((__half*)cache)[at + r1] = __float2half_rn(v1);
        }
        else
        {
            ((float*)cache)[at + r0] = v0;
            if (r1 < R) ((float*)cache)[at + r1] = v1;
        }
    }
    __device__ __forceinline__ void store(int task, int, const float (&acc)[1][MAXT][NRX], int, bool lead) const
    {
        if (!lead) return;
        int m, r;
        pick(task, m, r);
        float* y = m == 0 ? y0 : m == 1 ? y1 : y2;
        const float* b = m == 0 ? b0 : m == 1 ? b1 : b2;
        const int R = m == 0 ? R0 : m == 1 ? R1 : R2;
        if (NRX == 2 && rtab != nullptr)
        {
            rope_store(m, r, acc, y, b, R);
            return;
        }
#pragma unroll
        for (int n = 0; n < NRX; n++)
        {
            if (r + n >= R) break;
            const float bias = b ? b[r + n] : 0.f;
            const float* add = m == 0 ? res : nullptr;
#pragma unroll
            for (int t = 0; t < MAXT; t++)
                if (t < T)
                {
                    const size_t i = (size_t)t * R + r + n;
                    const float v = acc[0][t][n] + bias;
                    y[i] = add != nullptr ? __fadd_rn(add[i], v) : v;
                }
        }
    }
};

// The router's top-k after a split-K product (ids ≠ null): every block takes a ticket once its row is stored; the last
// one reads the T rows of y (R ≤ 256 logits each, from L2: other blocks wrote them) and picks each row's k experts with
// their softmax, then resets the counter for the next launch.
// Every block takes a ticket once its stores are done; true (in all its threads) in the block that takes the last one,
// which then sees the other blocks' stores (the caller resets the counter for the next launch).
__device__ __forceinline__ bool mv_last_block(unsigned* counter, unsigned blocks)
{
    __shared__ int last;
    __syncthreads();   // the block's stores are done
    if (threadIdx.x == 0)
    {
        __threadfence();
        last = atomicAdd(counter, 1u) == blocks - 1;
    }
    __syncthreads();
    if (!last) return false;
    __threadfence();
    return true;
}

__device__ __forceinline__ void mv_route_tail(const float* y, int R, int T, int* ids, float* probs, int k, unsigned* counter)
{
    __shared__ float sl[MV_MAXT][256];
    if (!mv_last_block(counter, gridDim.x * gridDim.y)) return;
    for (int i = threadIdx.x; i < T * R; i += blockDim.x) sl[i / R][i % R] = __ldcg(y + i);
    __syncthreads();
    const int warp = threadIdx.x >> 5;
    if (warp < T) tsr_topk_softmax_row(sl[warp], ids + warp * k, probs + warp * k, R, k);
    if (threadIdx.x == 0) *counter = 0u;
}

template <int TY, int NRX, int S, int MAXT>
__device__ __forceinline__ void mv_dense(const void* v0, const void* s0, float* y0, const float* b0, int R0,
                                         const void* v1, const void* s1, float* y1, const float* b1, int R1,
                                         const void* v2, const void* s2, float* y2, const float* b2, int R2,
                                         int K, const float* __restrict__ x, int T, const float* nw, float eps, float* xout,
                                         const float* res, int* ids, float* probs, int k, unsigned* counter,
                                         const float* rtab = nullptr, const int* rpos = nullptr, const int* rslots = nullptr,
                                         void* kc = nullptr, void* vc = nullptr, int rd = 0, int rf16 = 0, void* hk = nullptr,
                                         void* hv = nullptr)
{
    MvDenseJob<TY, NRX, MAXT> job;
    job.rtab = rtab; job.rpos = rpos; job.rslots = rslots; job.kc = kc; job.vc = vc; job.rd = rd; job.rf16 = rf16;
    job.hk = hk; job.hv = hv;
    job.v0 = v0; job.s0 = s0; job.y0 = y0; job.b0 = b0; job.R0 = R0;
    job.v1 = v1; job.s1 = s1; job.y1 = y1; job.b1 = b1; job.R1 = R1;
    job.v2 = v2; job.s2 = s2; job.y2 = y2; job.b2 = b2; job.R2 = R2;
    job.K = K; job.T = T; job.x = x;
    job.P0 = (R0 + NRX - 1) / NRX; job.P1 = (R1 + NRX - 1) / NRX; job.P2 = (R2 + NRX - 1) / NRX;
    job.nw = nw; job.eps = eps; job.res = res;
    job.xout = blockIdx.x == 0 && blockIdx.y == 0 ? xout : nullptr;
    mv_run<TY, 1, NRX, MAXT, S>(job, K, T);
    if (ids != nullptr) mv_route_tail(y0, R0, T, ids, probs, k, counter);
}

// The router fused into the product before it (one row of x, tsr_matvec1_route_*: the attention output, whose result y0
// = res + (W·x + b) is what the router normalises). Each warp stores its rows as the dense kernel does and adds, lane e
// < E ≤ 32, rw[e·R0 + r]·(y0[r]·nw[r]) over its rows r, and y0[r]² (every lane holds the warp's reduced sums, so each
// computes y0[r] itself). A block's sums go to column e (and E) of part, [E + 1][blocks], in warp order; the block that
// takes the last ticket adds each column (lane-strided, then a warp tree), then scale = 1/sqrt(Σy0²/R0 + eps),
// logits[e] = sum_e·scale + rb[e], the top k with their softmax (tsr_topk_softmax_row, as the router kernel picks them),
// and xn = (y0·scale)·nw, the normalised row the expert products read. One kernel instead of the attention output's and
// the router's.
template <int TY>
struct MvRouteJob : MvDenseJob<TY, 2, 1>
{
    const float *rw, *rnw;
    const float4* xin;   // integer path: x already in the staging layout (null: staged from x)
    int E;
    float pe, ss;   // the lane's router sum (expert = lane), the warp's Σy0²

    __device__ __forceinline__ void stage() const
    {
        if (mv_int8(TY) && xin != nullptr) mv_copy4(mv_smem, xin, mv_rs4(this->K));
        else MvDenseJob<TY, 2, 1>::stage();
    }

    __device__ __forceinline__ void rows(int task, int sub, MvRows<1, 2>& P) const
    {
        MvDenseJob<TY, 2, 1>::rows(task, sub, P);
        const int r = 2 * task, lane = threadIdx.x & 31;
        if (lane < E) mv_prefetch(rw + (size_t)lane * this->R0 + r);
        mv_prefetch(rnw + r);
    }
    __device__ __forceinline__ void store(int task, int, const float (&acc)[1][1][2], int, bool lead)
    {
        const int r = 2 * task, lane = threadIdx.x & 31;
#pragma unroll
        for (int n = 0; n < 2; n++)
        {
            const int rr = r + n;
            if (rr >= this->R0) break;
            const float v = __fadd_rn(this->res[rr], acc[0][0][n] + (this->b0 ? this->b0[rr] : 0.f));
            if (lead) this->y0[rr] = v;
            const float c = __fmul_rn(v, rnw[rr]);
            if (lane < E) pe = fmaf(__ldg(rw + (size_t)lane * this->R0 + rr), c, pe);
            ss = fmaf(v, v, ss);
        }
    }
};

template <int TY>
__device__ __forceinline__ void mv_route_fused(const void* v0, const void* s0, float* y0, const float* b0, int R0, int K,
                                               const float* __restrict__ x, const float* res, const float* rw, const float* rb,
                                               const float* rnw, float eps, float* xn, float* logits, int* ids, float* probs,
                                               int E, int k, unsigned* counter, float* part, float4* xq, int xqType,
                                               const float4* xs)
{
    MvRouteJob<TY> job;
    job.rtab = nullptr; job.rpos = nullptr; job.rslots = nullptr; job.kc = nullptr; job.vc = nullptr; job.rd = 0; job.rf16 = 0;
    job.hk = nullptr; job.hv = nullptr;
    job.v0 = v0; job.s0 = s0; job.y0 = y0; job.b0 = b0; job.R0 = R0;
    job.v1 = nullptr; job.s1 = nullptr; job.y1 = nullptr; job.b1 = nullptr; job.R1 = 0;
    job.v2 = nullptr; job.s2 = nullptr; job.y2 = nullptr; job.b2 = nullptr; job.R2 = 0;
    job.K = K; job.T = 1; job.x = x;
    job.P0 = (R0 + 1) / 2; job.P1 = 0; job.P2 = 0;
    job.nw = nullptr; job.eps = 0.f; job.res = res; job.xout = nullptr;
    job.rw = rw; job.rnw = rnw; job.xin = xs; job.E = E; job.pe = 0.f; job.ss = 0.f;
    mv_run<TY, 1, 2, 1, 1>(job, K, 1);

    __shared__ float red[MV_WARPS][33];
    __shared__ float tot[33];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, G = gridDim.x;
    if (lane < E) red[warp][lane] = job.pe;
    if (lane == 0) red[warp][32] = job.ss;
    __syncthreads();
    if ((int)threadIdx.x <= E)   // column c of part (E + 1 columns of G blocks): c < E the router sums, c = E Σy0²
    {
        const int c = (int)threadIdx.x < E ? threadIdx.x : 32;
        float s = red[0][c];
#pragma unroll
        for (int w = 1; w < MV_WARPS; w++) s += red[w][c];
        part[(size_t)threadIdx.x * G + blockIdx.x] = s;
    }
    if (!mv_last_block(counter, G)) return;
    // The last block: its rows of y0 and of the norm weight are requested with the blocks' sums, all at once (R0 ≤ 3,072
    // and G ≤ 256: one round trip to L2). Warp w adds columns w, w + 8, ...: lane l the blocks l, l + 32, ... in order,
    // then a warp tree (every lane ends with the same sum).
    const float4* src = reinterpret_cast<const float4*>(y0);
    const float4* g4 = reinterpret_cast<const float4*>(rnw);
    float4* dst = reinterpret_cast<float4*>(xn);
    const int R4 = R0 >> 2;
    float4 v[3], g[3];
#pragma unroll
    for (int u = 0; u < 3; u++) v[u] = g[u] = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
    for (int u = 0; u < 3; u++)
    {
        const int j = threadIdx.x + u * blockDim.x;
        if (j < R4)
        {
            v[u] = __ldcg(src + j);
            g[u] = __ldg(g4 + j);
        }
    }
    float cs[5];
#pragma unroll
    for (int i = 0; i < 5; i++) cs[i] = 0.f;
    for (int b0 = 0; b0 < G; b0 += 8 * 32)
    {
        float a[5][8];
#pragma unroll
        for (int i = 0; i < 5; i++)
#pragma unroll
            for (int j = 0; j < 8; j++)
            {
                const int c = warp + i * MV_WARPS, b = b0 + lane + 32 * j;
                a[i][j] = c <= E && b < G ? __ldcg(part + (size_t)c * G + b) : 0.f;
            }
#pragma unroll
        for (int i = 0; i < 5; i++)
#pragma unroll
            for (int j = 0; j < 8; j++) cs[i] = cs[i] + a[i][j];
    }
#pragma unroll
    for (int i = 0; i < 5; i++)
    {
        const int c = warp + i * MV_WARPS;
        const float t = tsr_warp_sum(cs[i]);
        if (lane == 0 && c <= E) tot[c < E ? c : 32] = t;
    }
    __syncthreads();
    const float scale = 1.0f / sqrtf(__fdiv_rn(tot[32], (float)R0) + eps);
    if ((int)threadIdx.x < E)
    {
        const float l = __fadd_rn(__fmul_rn(tot[threadIdx.x], scale), rb != nullptr ? rb[threadIdx.x] : 0.f);
        tot[threadIdx.x] = l;
        logits[threadIdx.x] = l;
    }
    __syncthreads();
    if (warp == 0) tsr_topk_softmax_row(tot, ids, probs, E, k);
    // The normalised row for the expert products, and (xq ≠ null, R0 a multiple of 32 and at most 3·4·blockDim) quantised
    // in the integer path's staging layout for weights of type xqType, as the gate-up kernel would stage it.
#pragma unroll
    for (int u = 0; u < 3; u++)
    {
        const int j = threadIdx.x + u * blockDim.x;
        const float4 o = mv_normed4(v[u], g[u], scale);
        if (j < R4) dst[j] = o;
        if (xq != nullptr)
        {
            const unsigned mask = __ballot_sync(0xFFFFFFFFu, j < R4);
            if (j >= R4) continue;
            if (xqType == TSR_MXFP4_I8) mv_quantise4<TSR_MXFP4_I8>(xq, R0, 0, j, o, mask);
            else mv_quantise4<TSR_Q8_0_I8>(xq, R0, 0, j, o, mask);
        }
    }
    for (int j = threadIdx.x + 3 * blockDim.x; j < R4; j += blockDim.x) dst[j] = mv_normed4(__ldcg(src + j), __ldg(g4 + j), scale);
    if (threadIdx.x == 0) *counter = 0u;
}

// Slot q = blockIdx.y: y[q·R + r] = W_e[r]·x_row + (bias ? bias[e·R + r] : 0), e = ids[q], x_row = x + (xPerSlot ? q : q/k)·K;
// task = 2 consecutive rows. Shared memory: K floats. Slots with an id outside [0, E) are left unwritten.
template <int TY>
struct MvExpertsJob
{
    const void *values, *scales;
    const float* x;
    const float* bias;
    float* y;
    int K, R, e, q, ok;

    __device__ __forceinline__ int tasks() const { return ok ? (R + 1) / 2 : 0; }
    __device__ __forceinline__ int subs() const { return 1; }
    __device__ __forceinline__ void rows(int task, int, MvRows<1, 2>& P) const
    {
#pragma unroll
        for (int n = 0; n < 2; n++)
            mv_set<TY, 1, 2>(P, 0, n, 2 * task + n < R, values, scales, (size_t)e * R + 2 * task + n, K);
        if (bias != nullptr && 2 * task < R) mv_prefetch(bias + (size_t)e * R + 2 * task);
    }
    __device__ __forceinline__ void prefetch() const {}
    __device__ __forceinline__ void stage() const { mv_stage_x<TY>(mv_smem, x, 1, K); }
    __device__ __forceinline__ void xrows(int, const float4* (&xg)[1]) const { xg[0] = mv_smem; }
    __device__ __forceinline__ void store(int task, int, const float (&acc)[1][1][2], int, bool lead) const
    {
        if (!lead) return;
#pragma unroll
        for (int n = 0; n < 2; n++)
        {
            const int r = 2 * task + n;
            if (r >= R) break;
            const size_t gr = (size_t)e * R + r;
            y[(size_t)q * R + r] = acc[0][0][n] + (bias ? bias[gr] : 0.f);
        }
    }
};

template <int TY>
__device__ __forceinline__ void mv_experts(const void* values, const void* scales, int K, int R, int E, const float* __restrict__ x,
                                           int xPerSlot, const int* __restrict__ ids, int k, float* y, const float* bias)
{
    TSR_PDL_WAIT();   // the ids come from the router
    MvExpertsJob<TY> job;
    job.values = values; job.scales = scales; job.bias = bias; job.y = y; job.K = K; job.R = R;
    job.q = blockIdx.y;
    job.x = x + (size_t)(xPerSlot ? job.q : job.q / k) * K;
    job.e = ids[job.q];
    job.ok = job.e >= 0 && job.e < E;
    mv_run<TY, 1, 2, 1, 1>(job, K, 1);
}

__device__ __forceinline__ float mv_swiglu(float g, float u, float alpha, float limit)
{
    g = fminf(g, limit);
    u = fminf(fmaxf(u, -limit), limit);
    return g / (1.f + expf(alpha * -g)) * (u + 1.f);
}

// Slot q = blockIdx.y, token t = q/k, expert e = ids[q]: act[q·R + r] = swiglu_oai(gate_e[r]·x_t + bg, up_e[r]·x_t + bu).
// Task = rows r, r+1 of gate and of up (rows 0, 1: gate; 2, 3: up), all four sharing each x read. Shared memory: K floats.
template <int TY>
struct MvGateUpJob
{
    const void *gv, *gs, *uv, *us;
    const float *bg, *bu, *x;
    const float4* xin;   // integer path: x of the slot's token already in the staging layout (null: staged from x)
    float* act;
    float alpha, limit;
    int K, R, e, q, ok;

    __device__ __forceinline__ int tasks() const { return ok ? (R + 1) / 2 : 0; }
    __device__ __forceinline__ int subs() const { return 1; }
    __device__ __forceinline__ void rows(int task, int, MvRows<1, 4>& P) const
    {
#pragma unroll
        for (int n = 0; n < 2; n++)
        {
            const bool in = 2 * task + n < R;
            const size_t gr = (size_t)e * R + 2 * task + n;
            mv_set<TY, 1, 4>(P, 0, n, in, gv, gs, gr, K);
            mv_set<TY, 1, 4>(P, 0, 2 + n, in, uv, us, gr, K);
        }
        const size_t gr = (size_t)e * R + 2 * task;
        if (bg != nullptr) mv_prefetch(bg + gr);
        if (bu != nullptr) mv_prefetch(bu + gr);
    }
    __device__ __forceinline__ void prefetch() const {}
    __device__ __forceinline__ void stage() const
    {
        if (mv_int8(TY) && xin != nullptr)
            mv_copy4(mv_smem, xin, mv_rs4(K));
        else
            mv_stage_x<TY>(mv_smem, x, 1, K);
    }
    __device__ __forceinline__ void xrows(int, const float4* (&xg)[1]) const { xg[0] = mv_smem; }
    __device__ __forceinline__ void store(int task, int, const float (&acc)[1][1][4], int, bool lead) const
    {
        if (!lead) return;
#pragma unroll
        for (int n = 0; n < 2; n++)
        {
            const int r = 2 * task + n;
            if (r >= R) break;
            const size_t gr = (size_t)e * R + r;
            const float g = acc[0][0][n] + (bg ? bg[gr] : 0.f);
            const float u = acc[0][0][2 + n] + (bu ? bu[gr] : 0.f);
            act[(size_t)q * R + r] = mv_swiglu(g, u, alpha, limit);
        }
    }
};

// Integer path with xq ≠ null: the block that finishes slot q's rows last (a ticket per slot, reset by that block for
// the next launch) also quantises the slot's act row into xq [slot × mv_rs4(R) float4s] as the down kernel's staging
// would (mv_stage_x), so that the down kernel's 180-odd blocks copy 3 KB a slot instead of each loading 11.5 KB and
// quantising it (tsr_down_add_* with xq: the same bits). With xs ≠ null (integer path) the token rows of x are already
// quantised in the staging layout (by tsr_matvec1_route_*) and are copied from there.
template <int TY>
__device__ __forceinline__ void mv_gate_up(const void* gv, const void* gs, const void* uv, const void* us, int K, int R, int E,
                                           const float* bg, const float* bu, const float* __restrict__ x,
                                           const int* __restrict__ ids, int k, float* act, float alpha, float limit,
                                           float4* xq, unsigned* tickets, const float4* xs)
{
    TSR_PDL_WAIT();   // the ids come from the router
    MvGateUpJob<TY> job;
    job.gv = gv; job.gs = gs; job.uv = uv; job.us = us; job.bg = bg; job.bu = bu; job.act = act;
    job.alpha = alpha; job.limit = limit; job.K = K; job.R = R;
    job.q = blockIdx.y;
    job.x = x + (size_t)(job.q / k) * K;
    job.xin = xs != nullptr ? xs + (size_t)(job.q / k) * mv_rs4(K) : nullptr;
    job.e = ids[job.q];
    job.ok = job.e >= 0 && job.e < E;
    mv_run<TY, 1, 4, 1, 1>(job, K, 1);
    if (mv_int8(TY) && xq != nullptr && mv_last_block(tickets + job.q, gridDim.x))
    {
        mv_stage_x<TY, true>(xq + (size_t)job.q * mv_rs4(R), act + (size_t)job.q * R, 1, R);
        if (threadIdx.x == 0) tickets[job.q] = 0u;
    }
}

// Token t = blockIdx.y: h[t·R + r] += ((y_0 + y_1) + ...) + y_{k−1}, y_j = weights[t·k+j]·(W_e[r]·act_{t·k+j} + bias[e·R + r]),
// e = ids[t·k + j] (slots with an id outside [0, E) add nothing). Task = output row r; pass `sub` reads the rows of slots
// MV_DK·sub .. MV_DK·sub + MV_DK − 1 together (each with its own act row). Shared memory: k·K floats (the act rows of t),
// or on the integer path their quants: staged from act, or copied from xq where the gate-up kernel left them (xq ≠ null).
template <int TY>
struct MvDownJob
{
    const void *values, *scales;
    const float *bias, *act, *weights;
    const float4* xq;
    const int* ids;
    float* h;
    float sum; // running slot sum of the lead lane
    int K, R, E, k, t;
    int e0[MV_DK];    // expert(i) and the weight of slot i for the first MV_DK slots, read once
    float w0[MV_DK];

    __device__ __forceinline__ int tasks() const { return R; }
    __device__ __forceinline__ int subs() const { return (k + MV_DK - 1) / MV_DK; }
    __device__ __forceinline__ int expert(int j) const
    {
        if (j >= k) return -1;
        const int e = ids[t * k + j];
        return e >= 0 && e < E ? e : -1;
    }
    __device__ __forceinline__ void rows(int r, int sub, MvRows<MV_DK, 1>& P) const
    {
#pragma unroll
        for (int i = 0; i < MV_DK; i++)
        {
            const int e = sub == 0 ? e0[i] : expert(sub * MV_DK + i);
            mv_set<TY, MV_DK, 1>(P, i, 0, e >= 0, values, scales, (size_t)(e >= 0 ? e : 0) * R + r, K);
            if (e >= 0 && bias != nullptr) mv_prefetch(bias + (size_t)e * R + r);
        }
    }
    __device__ __forceinline__ void prefetch() const {}
    __device__ __forceinline__ void stage() const
    {
        if (mv_int8(TY) && xq != nullptr)
            mv_copy4(mv_smem, xq + (size_t)t * k * mv_rs4(K), k * mv_rs4(K));
        else
            mv_stage_x<TY>(mv_smem, act + (size_t)t * k * K, k, K);
    }
    __device__ __forceinline__ void xrows(int sub, const float4* (&xg)[MV_DK]) const
    {
#pragma unroll
        for (int i = 0; i < MV_DK; i++) xg[i] = mv_smem + (size_t)min(sub * MV_DK + i, k - 1) * (mv_int8(TY) ? mv_rs4(K) : K >> 2);
    }
    __device__ __forceinline__ void store(int r, int sub, const float (&acc)[MV_DK][1][1], int, bool lead)
    {
        if (!lead) return;
        if (sub == 0) sum = 0.f;
#pragma unroll
        for (int i = 0; i < MV_DK; i++)
        {
            const int j = sub * MV_DK + i;
            const int e = sub == 0 ? e0[i] : expert(j);
            if (e < 0) continue;
            const size_t gr = (size_t)e * R + r;
            const float yj = (sub == 0 ? w0[i] : weights[t * k + j]) * (acc[i][0][0] + (bias ? bias[gr] : 0.f));
            sum = sum + yj;
        }
        if (sub == subs() - 1) h[(size_t)t * R + r] += sum;
    }
};

template <int TY>
__device__ __forceinline__ void mv_down_add(const void* values, const void* scales, int K, int R, int E, const float* bias,
                                            const float* __restrict__ act, const int* __restrict__ ids,
                                            const float* __restrict__ weights, int k, float* h, int idsEarly, const float4* xq)
{
    // The ids come from the router. With idsEarly the kernel just before this one waited for its own predecessors before
    // it let this one start (the host passes it when that kernel was tsr_gate_up_* on the same ids), so the router has
    // finished and its ids are visible: the first weights are requested before the wait for the gate-up's results.
    if (!idsEarly) TSR_PDL_WAIT();
    MvDownJob<TY> job;
    job.values = values; job.scales = scales; job.bias = bias; job.act = act; job.xq = xq; job.weights = weights; job.ids = ids; job.h = h;
    job.sum = 0.f; job.K = K; job.R = R; job.E = E; job.k = k; job.t = blockIdx.y;
#pragma unroll
    for (int i = 0; i < MV_DK; i++)
    {
        job.e0[i] = job.expert(i);
        job.w0[i] = i < k ? weights[job.t * k + i] : 0.f;
    }
    mv_run<TY, MV_DK, 1, 1, 1>(job, K, 1);
}

// The dense kernels for T ≤ MV_MAXT rows of x (tsr_matvec_*, tsr_matvec_split_*) and for one row (tsr_matvec1_*,
// tsr_matvec_split1_*: decode; less than half the code, so fewer instruction-cache misses).
#define MV_DENSE_KERNELS(SUFFIX, TY, ONE, MAXT)                                                                               \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32, 2) tsr_matvec##ONE##_##SUFFIX(                              \
        const void* v0, const void* s0, float* y0, const float* b0, int R0, const void* v1, const void* s1, float* y1,      \
        const float* b1, int R1, const void* v2, const void* s2, float* y2, const float* b2, int R2, int K, const float* x, \
        int T, const float* nw, float eps, float* xout, const float* res, const float* rtab, const int* rpos,               \
        const int* rslots, void* kc, void* vc, int rd, int rf16, void* hk, void* hv)                                        \
    {                                                                                                                       \
        mv_dense<TY, 2, 1, MAXT>(v0, s0, y0, b0, R0, v1, s1, y1, b1, R1, v2, s2, y2, b2, R2, K, x, T, nw, eps, xout, res,   \
                                 nullptr, nullptr, 0, nullptr, rtab, rpos, rslots, kc, vc, rd, rf16, hk, hv);               \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32, 2) tsr_matvec_split##ONE##_##SUFFIX(                        \
        const void* v0, const void* s0, float* y0, const float* b0, int R0, const void* v1, const void* s1, float* y1,      \
        const float* b1, int R1, const void* v2, const void* s2, float* y2, const float* b2, int R2, int K, const float* x, \
        int T, const float* nw, float eps, float* xout, const float* res, int* ids, float* probs, int k, unsigned* counter) \
    {                                                                                                                       \
        mv_dense<TY, 1, MV_WARPS, MAXT>(v0, s0, y0, b0, R0, v1, s1, y1, b1, R1, v2, s2, y2, b2, R2, K, x, T, nw, eps, xout, \
                                        res, ids, probs, k, counter);                                                       \
    }

#define MV_KERNELS(SUFFIX, TY)                                                                                               \
    MV_DENSE_KERNELS(SUFFIX, TY, , MV_MAXT)                                                                                 \
    MV_DENSE_KERNELS(SUFFIX, TY, 1, 1)                                                                                      \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32, 2) tsr_matvec1_route_##SUFFIX(                             \
        const void* v0, const void* s0, float* y0, const float* b0, int R0, int K, const float* x, const float* res,        \
        const float* rw, const float* rb, const float* rnw, float eps, float* xn, float* logits, int* ids, float* probs,    \
        int E, int k, unsigned* counter, float* part, float4* xq, int xqType, const float4* xs)                             \
    {                                                                                                                       \
        mv_route_fused<TY>(v0, s0, y0, b0, R0, K, x, res, rw, rb, rnw, eps, xn, logits, ids, probs, E, k, counter, part,   \
                           xq, xqType, xs);                                                                                 \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32, 2) tsr_mv_experts_##SUFFIX(                                 \
        const void* values, const void* scales, int K, int R, int E, const float* x, int xPerSlot, const int* ids, int k,   \
        float* y, const float* bias)                                                                                        \
    {                                                                                                                       \
        mv_experts<TY>(values, scales, K, R, E, x, xPerSlot, ids, k, y, bias);                                              \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32, 2) tsr_gate_up_##SUFFIX(                                    \
        const void* gv, const void* gs, const void* uv, const void* us, int K, int R, int E, const float* bg,               \
        const float* bu, const float* x, const int* ids, int k, float* act, float alpha, float limit, float4* xq,           \
        unsigned* tickets, const float4* xs)                                                                                \
    {                                                                                                                       \
        mv_gate_up<TY>(gv, gs, uv, us, K, R, E, bg, bu, x, ids, k, act, alpha, limit, xq, tickets, xs);                     \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32, 2) tsr_down_add_##SUFFIX(                                   \
        const void* values, const void* scales, int K, int R, int E, const float* bias, const float* act, const int* ids,  \
        const float* weights, int k, float* h, int idsEarly, const float4* xq)                                              \
    {                                                                                                                       \
        mv_down_add<TY>(values, scales, K, R, E, bias, act, ids, weights, k, h, idsEarly, xq);                              \
    }

MV_KERNELS(f32, TSR_F32)
MV_KERNELS(f16, TSR_F16)
MV_KERNELS(q8_0, TSR_Q8_0)
MV_KERNELS(mxfp4, TSR_MXFP4)
MV_KERNELS(q8_0i8, TSR_Q8_0_I8)
MV_KERNELS(mxfp4i8, TSR_MXFP4_I8)

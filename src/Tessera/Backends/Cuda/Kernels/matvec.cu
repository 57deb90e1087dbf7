// Matrix-vector products for decode (few token rows): every weight byte is read once with 16-byte loads, for all rows of x.
// One warp per output row; lane l reads 16-byte chunks l, l+32, ... of the row (coalesced, MV_GROUP chunks in flight per
// lane), x is staged in shared memory (swizzled so the lanes' float4 reads hit distinct banks), the lanes' partial sums
// meet in a warp-shuffle reduction (same order every run: deterministic).
//   tsr_matvec_*      y = W·x (+ bias) for up to three weights of one x (Q, K, V in one launch), T ≤ MV_MAXT rows of x
//   tsr_mv_experts_*  y[q] = W_ids[q]·x_row(q) (+ bias) per slot q (blockIdx.y)
//   tsr_gate_up_*     act[q] = swiglu_oai(gate_e·x_t + bg, up_e·x_t + bu): one warp computes both rows of a slot
//   tsr_down_add_*    h[t] += Σ_j w_j·(down_e·act_j + b): one warp per output row, the k slots of token t in order
// Grids: blockIdx.x strides over output rows (8 rows per block per pass), blockIdx.y is the slot or token.
// A 16-byte chunk holds 4 F32, 8 F16, 16 Q8_0 values (half a block) or 32 MXFP4 values (one block).
#include "common.cuh"

#define MV_WARPS 8
#define MV_MAXT 4
#define MV_GROUP 4

extern __shared__ float4 mv_smem[];

// Position of float4 q of an x row in shared memory: XOR-swizzled within groups of 8 float4s (128 bytes) so that lanes
// reading the same float4 of consecutive chunks (chunks of 16 to 128 bytes of x) land in distinct banks.
__device__ __forceinline__ int mv_swz(int q) { return q ^ ((q >> 3) & 7); }

// Copies rows × K floats (contiguous) of x into shared memory, swizzled per row.
__device__ __forceinline__ void mv_stage(float4* xs, const float* __restrict__ x, int rows, int K)
{
    const int K4 = K >> 2;
    const int n = rows * K4;
    const float4* src = reinterpret_cast<const float4*>(x);
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        const int t = i / K4, q = i - t * K4;
        xs[t * K4 + mv_swz(q)] = __ldg(src + i);
    }
}

__device__ __forceinline__ uint32_t mv_word(const uint4& w, int j)
{
    return j == 0 ? w.x : j == 1 ? w.y : j == 2 ? w.z : w.w;
}

// Signed byte i of the word u ^ 0x80808080 as a float, exactly: 2^23 + unsigned byte, minus 2^23 + 128 (no cvt).
__device__ __forceinline__ float mv_q8(uint32_t u, int i)
{
    return __int_as_float(__byte_perm(u, 0x4B000000u, 0x7440u | i)) - 8388736.0f;
}

// The E2M1 nibbles at bits 0..3 and 16..19 of z as floats: ggml's doubled value times 2^-15, exactly (the nibble's sign
// and bits become an f16 whose exponent field is the E2M1 exponent, so f16 subnormals give 0 and ±1).
__device__ __forceinline__ float2 mv_fp4x2(uint32_t z)
{
    const uint32_t h = ((z << 12) & 0x80008000u) | ((z << 9) & 0x0E000E00u);
    return make_float2(__half2float(__ushort_as_half((unsigned short)(h & 0xFFFFu))),
                       __half2float(__ushort_as_half((unsigned short)(h >> 16))));
}

__device__ __forceinline__ float2 mv_h2(uint32_t v)
{
    return make_float2(__half2float(__ushort_as_half((unsigned short)(v & 0xFFFFu))),
                       __half2float(__ushort_as_half((unsigned short)(v >> 16))));
}

// Per type: values per 16-byte chunk, the factor of the chunk sum before its scale, the scale of chunk c of a row whose
// first block scale is at index sb.
template <int TY> struct MvFmt;
template <> struct MvFmt<TSR_F32>
{
    enum { VPC = 4 };
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float scale(const void*, size_t, int) { return 1.f; }
};
template <> struct MvFmt<TSR_F16>
{
    enum { VPC = 8 };
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float scale(const void*, size_t, int) { return 1.f; }
};
template <> struct MvFmt<TSR_Q8_0>
{
    enum { VPC = 16 };
    static __device__ __forceinline__ float pre() { return 1.f; }
    static __device__ __forceinline__ float scale(const void* s, size_t sb, int c)
    {
        return __half2float(__ushort_as_half(__ldg(reinterpret_cast<const unsigned short*>(s) + sb + (c >> 1))));
    }
};
template <> struct MvFmt<TSR_MXFP4>
{
    enum { VPC = 32 };
    static __device__ __forceinline__ float pre() { return 32768.f; }
    static __device__ __forceinline__ float scale(const void* s, size_t sb, int c)
    {
        return tsr_e8m0_half(__ldg(reinterpret_cast<const uint8_t*>(s) + sb + c));
    }
};

// s[t][n] += (chunk of weight row n) · (x row t at float4 cb ..), unscaled, for t < T.
template <int TY, int NR, int MAXT>
__device__ __forceinline__ void mv_chunk(const uint4 (&w)[NR], const float4* __restrict__ xs, int K4, int cb, int T,
                                         float (&s)[MAXT][NR])
{
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
                const float2 a = mv_h2(mv_word(w[n], 2 * f)), b = mv_h2(mv_word(w[n], 2 * f + 1));
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
                const uint32_t u = mv_word(w[n], f) ^ 0x80808080u;
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
                const uint32_t z = mv_word(w[n], f);
                const float2 a = mv_fp4x2(z), b = mv_fp4x2(z >> 8), c = mv_fp4x2(z >> 4), d = mv_fp4x2(z >> 12);
                lo[n][0] = a.x; lo[n][1] = b.x; lo[n][2] = a.y; lo[n][3] = b.y;
                hi[n][0] = c.x; hi[n][1] = d.x; hi[n][2] = c.y; hi[n][3] = d.y;
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

// acc[t][n] = Σ_i W_n[i]·x_t[i] for NR weight rows (rows[n]: the row's first chunk; scale base sb[n] = first block scale
// index) and T ≤ MAXT x rows in shared memory; every lane of the warp returns the full sums.
template <int TY, int NR, int MAXT>
__device__ __forceinline__ void mv_rows(const uint4* const (&rows)[NR], const void* const (&scales)[NR], const size_t (&sb)[NR],
                                        int K, const float4* __restrict__ xs, int T, float (&acc)[MAXT][NR])
{
    typedef MvFmt<TY> Fmt;
    const int lane = threadIdx.x & 31;
    const int nch = K / Fmt::VPC;
    const int K4 = K >> 2;
#pragma unroll
    for (int t = 0; t < MAXT; t++)
#pragma unroll
        for (int n = 0; n < NR; n++) acc[t][n] = 0.f;
    for (int c0 = 0; c0 < nch; c0 += 32 * MV_GROUP)
    {
        uint4 w[MV_GROUP][NR];
        float sc[MV_GROUP][NR];
#pragma unroll
        for (int g = 0; g < MV_GROUP; g++)
        {
            const int c = c0 + lane + 32 * g;
#pragma unroll
            for (int n = 0; n < NR; n++)
            {
                if (c < nch)
                {
                    w[g][n] = __ldg(rows[n] + c);
                    sc[g][n] = Fmt::scale(scales[n], sb[n], c);
                }
                else
                {
                    w[g][n] = make_uint4(0, 0, 0, 0);
                    sc[g][n] = 0.f;
                }
            }
        }
#pragma unroll
        for (int g = 0; g < MV_GROUP; g++)
        {
            const int c = c0 + lane + 32 * g;
            if (c < nch)
            {
                float s[MAXT][NR];
#pragma unroll
                for (int t = 0; t < MAXT; t++)
#pragma unroll
                    for (int n = 0; n < NR; n++) s[t][n] = 0.f;
                mv_chunk<TY, NR, MAXT>(w[g], xs, K4, c * (Fmt::VPC / 4), T, s);
#pragma unroll
                for (int t = 0; t < MAXT; t++)
#pragma unroll
                    for (int n = 0; n < NR; n++) acc[t][n] = fmaf(s[t][n] * Fmt::pre(), sc[g][n], acc[t][n]);
            }
        }
    }
#pragma unroll
    for (int t = 0; t < MAXT; t++)
    {
        if (t >= T) break;
#pragma unroll
        for (int n = 0; n < NR; n++) acc[t][n] = tsr_warp_sum(acc[t][n]);
    }
}

template <int TY>
__device__ __forceinline__ const uint4* mv_row(const void* values, int K, size_t row)
{
    return reinterpret_cast<const uint4*>(values) + row * (size_t)(K / MvFmt<TY>::VPC);
}

// y_m[t·R_m + r] = W_m[r]·x_t + b_m[r] for the rows of up to three weights (R_m = 0: absent), t < T ≤ MV_MAXT.
// Shared memory: T·K floats.
template <int TY>
__device__ __forceinline__ void mv_dense(const void* v0, const void* s0, float* y0, const float* b0, int R0,
                                         const void* v1, const void* s1, float* y1, const float* b1, int R1,
                                         const void* v2, const void* s2, float* y2, const float* b2, int R2,
                                         int K, const float* __restrict__ x, int T)
{
    float4* xs = mv_smem;
    mv_stage(xs, x, T, K);
    __syncthreads();
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int total = R0 + R1 + R2;
    for (int v = blockIdx.x * MV_WARPS + warp; v < total; v += gridDim.x * MV_WARPS)
    {
        const void* vv; const void* ss; float* y; const float* b; int R, r;
        if (v < R0) { vv = v0; ss = s0; y = y0; b = b0; R = R0; r = v; }
        else if (v < R0 + R1) { vv = v1; ss = s1; y = y1; b = b1; R = R1; r = v - R0; }
        else { vv = v2; ss = s2; y = y2; b = b2; R = R2; r = v - R0 - R1; }
        const uint4* rows[1] = {mv_row<TY>(vv, K, (size_t)r)};
        const void* scales[1] = {ss};
        const size_t sb[1] = {(size_t)r * (size_t)(K / 32)};
        float acc[MV_MAXT][1];
        mv_rows<TY, 1, MV_MAXT>(rows, scales, sb, K, xs, T, acc);
        if (lane == 0)
        {
            const float bias = b ? b[r] : 0.f;
#pragma unroll
            for (int t = 0; t < MV_MAXT; t++)
                if (t < T) y[(size_t)t * R + r] = acc[t][0] + bias;
        }
    }
}

// Slot q = blockIdx.y: y[q·R + r] = W_e[r]·x_row + (bias ? bias[e·R + r] : 0), e = ids[q], x_row = x + (xPerSlot ? q : q/k)·K.
// Shared memory: K floats. Slots with an id outside [0, E) are left unwritten.
template <int TY>
__device__ __forceinline__ void mv_experts(const void* values, const void* scales, int K, int R, int E, const float* __restrict__ x,
                                           int xPerSlot, const int* __restrict__ ids, int k, float* y, const float* bias)
{
    float4* xs = mv_smem;
    const int q = blockIdx.y;
    const int xr = xPerSlot ? q : q / k;
    mv_stage(xs, x + (size_t)xr * K, 1, K);
    __syncthreads();
    const int e = ids[q];
    if (e < 0 || e >= E) return;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    for (int r = blockIdx.x * MV_WARPS + warp; r < R; r += gridDim.x * MV_WARPS)
    {
        const size_t gr = (size_t)e * R + r;
        const uint4* rows[1] = {mv_row<TY>(values, K, gr)};
        const void* sc[1] = {scales};
        const size_t sb[1] = {gr * (size_t)(K / 32)};
        float acc[1][1];
        mv_rows<TY, 1, 1>(rows, sc, sb, K, xs, 1, acc);
        if (lane == 0) y[(size_t)q * R + r] = acc[0][0] + (bias ? bias[gr] : 0.f);
    }
}

__device__ __forceinline__ float mv_swiglu(float g, float u, float alpha, float limit)
{
    g = fminf(g, limit);
    u = fminf(fmaxf(u, -limit), limit);
    return g / (1.f + expf(alpha * -g)) * (u + 1.f);
}

// Slot q = blockIdx.y, token t = q/k, expert e = ids[q]: act[q·R + r] = swiglu_oai(gate_e[r]·x_t + bg, up_e[r]·x_t + bu).
// One warp reads the gate row and the up row together (one x read from shared memory for both). Shared memory: K floats.
template <int TY>
__device__ __forceinline__ void mv_gate_up(const void* gv, const void* gs, const void* uv, const void* us, int K, int R, int E,
                                           const float* bg, const float* bu, const float* __restrict__ x,
                                           const int* __restrict__ ids, int k, float* act, float alpha, float limit)
{
    float4* xs = mv_smem;
    const int q = blockIdx.y;
    mv_stage(xs, x + (size_t)(q / k) * K, 1, K);
    __syncthreads();
    const int e = ids[q];
    if (e < 0 || e >= E) return;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    for (int r = blockIdx.x * MV_WARPS + warp; r < R; r += gridDim.x * MV_WARPS)
    {
        const size_t gr = (size_t)e * R + r;
        const uint4* rows[2] = {mv_row<TY>(gv, K, gr), mv_row<TY>(uv, K, gr)};
        const void* sc[2] = {gs, us};
        const size_t sb[2] = {gr * (size_t)(K / 32), gr * (size_t)(K / 32)};
        float acc[1][2];
        mv_rows<TY, 2, 1>(rows, sc, sb, K, xs, 1, acc);
        if (lane == 0)
        {
            const float g = acc[0][0] + (bg ? bg[gr] : 0.f);
            const float u = acc[0][1] + (bu ? bu[gr] : 0.f);
            act[(size_t)q * R + r] = mv_swiglu(g, u, alpha, limit);
        }
    }
}

// Token t = blockIdx.y: h[t·R + r] += ((y_0 + y_1) + ...) + y_{k−1}, y_j = weights[t·k+j]·(W_e[r]·act_{t·k+j} + bias[e·R + r]),
// e = ids[t·k + j] (slots with an id outside [0, E) add nothing). Shared memory: k·K floats (the k act rows of token t).
template <int TY>
__device__ __forceinline__ void mv_down_add(const void* values, const void* scales, int K, int R, int E, const float* bias,
                                            const float* __restrict__ act, const int* __restrict__ ids,
                                            const float* __restrict__ weights, int k, float* h)
{
    float4* xs = mv_smem;
    const int t = blockIdx.y;
    mv_stage(xs, act + (size_t)t * k * K, k, K);
    __syncthreads();
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int K4 = K >> 2;
    for (int r = blockIdx.x * MV_WARPS + warp; r < R; r += gridDim.x * MV_WARPS)
    {
        float sum = 0.f;
        for (int j = 0; j < k; j++)
        {
            const int e = ids[t * k + j];
            if (e < 0 || e >= E) continue;
            const size_t gr = (size_t)e * R + r;
            const uint4* rows[1] = {mv_row<TY>(values, K, gr)};
            const void* sc[1] = {scales};
            const size_t sb[1] = {gr * (size_t)(K / 32)};
            float acc[1][1];
            mv_rows<TY, 1, 1>(rows, sc, sb, K, xs + j * K4, 1, acc);
            const float yj = weights[t * k + j] * (acc[0][0] + (bias ? bias[gr] : 0.f));
            sum = sum + yj;
        }
        if (lane == 0) h[(size_t)t * R + r] += sum;
    }
}

#define MV_KERNELS(SUFFIX, TY)                                                                                               \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32) tsr_matvec_##SUFFIX(                                        \
        const void* v0, const void* s0, float* y0, const float* b0, int R0, const void* v1, const void* s1, float* y1,      \
        const float* b1, int R1, const void* v2, const void* s2, float* y2, const float* b2, int R2, int K, const float* x, \
        int T)                                                                                                              \
    {                                                                                                                       \
        mv_dense<TY>(v0, s0, y0, b0, R0, v1, s1, y1, b1, R1, v2, s2, y2, b2, R2, K, x, T);                                  \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32) tsr_mv_experts_##SUFFIX(                                    \
        const void* values, const void* scales, int K, int R, int E, const float* x, int xPerSlot, const int* ids, int k,   \
        float* y, const float* bias)                                                                                        \
    {                                                                                                                       \
        mv_experts<TY>(values, scales, K, R, E, x, xPerSlot, ids, k, y, bias);                                              \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32) tsr_gate_up_##SUFFIX(                                       \
        const void* gv, const void* gs, const void* uv, const void* us, int K, int R, int E, const float* bg,               \
        const float* bu, const float* x, const int* ids, int k, float* act, float alpha, float limit)                       \
    {                                                                                                                       \
        mv_gate_up<TY>(gv, gs, uv, us, K, R, E, bg, bu, x, ids, k, act, alpha, limit);                                      \
    }                                                                                                                       \
    extern "C" __global__ void __launch_bounds__(MV_WARPS * 32) tsr_down_add_##SUFFIX(                                      \
        const void* values, const void* scales, int K, int R, int E, const float* bias, const float* act, const int* ids,  \
        const float* weights, int k, float* h)                                                                              \
    {                                                                                                                       \
        mv_down_add<TY>(values, scales, K, R, E, bias, act, ids, weights, k, h);                                            \
    }

MV_KERNELS(f32, TSR_F32)
MV_KERNELS(f16, TSR_F16)
MV_KERNELS(q8_0, TSR_Q8_0)
MV_KERNELS(mxfp4, TSR_MXFP4)

// Selection kernels on the GPU: the MoE router's top-k with its softmax (TopKSoftmax.cs, gpt-oss-facts.md §4.2j), greedy
// sampling (argmax: the token comes back, not the logits) and the K best logits a sampler needs for top-k/top-p/min-p.
// Order everywhere: larger value first, then lower index; NaN never wins. Every reduction has a fixed shape, so results
// do not depend on timing (integer shared-memory atomics only append candidates that are sorted by a total order after).
#include "common.cuh"
#include "topk.cuh"

extern "C" __global__ void tsr_topk_softmax(const float* __restrict__ logits, int* __restrict__ ids, float* __restrict__ weights,
                                            int E, int k, int T)
{
    TSR_PDL_ENTRY();
    int t = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (t >= T) return;
    tsr_topk_softmax_row(logits + (long long)t * E, ids + (long long)t * k, weights + (long long)t * k, E, k);
}

// ---------------------------------------------------------------------------------------------------------------------
// Fused router: logits[t·E + e] = W[e]·x[t] + bias[e] (W F32 [E × K], K a multiple of 4, 16-byte aligned rows; bias may
// be null), then the top-k + softmax above, in one launch. Grid ⌈T/4⌉ blocks of 1,024 threads, a block per group of up to
// four tokens (each weight row read once for them all): warp w takes rows w, w + 32, ..., each a full K-dot of float4
// loads per lane (lane-strided, reduced by a warp tree: deterministic), the logits go to shared memory and to `logits`,
// then warp j < tokens does token j's top-k. The dot of a row is summed per lane in K order, then by a warp tree.
// ---------------------------------------------------------------------------------------------------------------------
#define TSR_ROUTE_TOKENS 4
#define TSR_ROUTE_THREADS 1024

// Rows e = warp, warp + warps, ... of W·x for NT tokens: logits into sl and `logits`. Batches of 4 float4 of W per lane
// loaded before they are used (many bytes in flight: a block reads the whole router matrix alone).
template <int NT>
__device__ __forceinline__ void tsr_route_rows(const float4* __restrict__ w, const float* __restrict__ bias,
                                               const float4* __restrict__ xb, float* __restrict__ logits,
                                               float (*sl)[256], int K4, int E, long long t0)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int e = warp; e < E; e += warps)
    {
        const float4* row = w + (long long)e * K4;
        float acc[NT];
#pragma unroll
        for (int j = 0; j < NT; j++) acc[j] = 0.f;
        int i = lane;
        for (; i + 96 < K4; i += 128)
        {
            float4 a[4];
#pragma unroll
            for (int u = 0; u < 4; u++) a[u] = row[i + 32 * u];
#pragma unroll
            for (int j = 0; j < NT; j++)
            {
                float4 b[4];
#pragma unroll
                for (int u = 0; u < 4; u++) b[u] = xb[(long long)j * K4 + i + 32 * u];
#pragma unroll
                for (int u = 0; u < 4; u++)
                    acc[j] = fmaf(a[u].x, b[u].x, fmaf(a[u].y, b[u].y, fmaf(a[u].z, b[u].z, fmaf(a[u].w, b[u].w, acc[j]))));
            }
        }
        for (; i < K4; i += 32)
        {
            float4 a = row[i];
#pragma unroll
            for (int j = 0; j < NT; j++)
            {
                float4 b = xb[(long long)j * K4 + i];
                acc[j] = fmaf(a.x, b.x, fmaf(a.y, b.y, fmaf(a.z, b.z, fmaf(a.w, b.w, acc[j]))));
            }
        }
        float be = bias ? bias[e] : 0.f;
#pragma unroll
        for (int j = 0; j < NT; j++)
        {
            float z = __fadd_rn(tsr_warp_sum(acc[j]), be);
            if (lane == 0)
            {
                sl[j][e] = z;
                logits[(t0 + j) * E + e] = z;
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(TSR_ROUTE_THREADS)
tsr_route_topk(const float4* __restrict__ w, const float* __restrict__ bias, const float4* __restrict__ x,
               float* __restrict__ logits, int* __restrict__ ids, float* __restrict__ weights, int K, int E, int k, int T)
{
    TSR_PDL_ENTRY();
    __shared__ float sl[TSR_ROUTE_TOKENS][256];
    const int warp = threadIdx.x >> 5;
    const long long t0 = (long long)blockIdx.x * TSR_ROUTE_TOKENS;
    const int nt = (int)min((long long)TSR_ROUTE_TOKENS, T - t0), K4 = K >> 2;
    const float4* xb = x + t0 * K4;
    switch (nt)
    {
        case 1: tsr_route_rows<1>(w, bias, xb, logits, sl, K4, E, t0); break;
        case 2: tsr_route_rows<2>(w, bias, xb, logits, sl, K4, E, t0); break;
        case 3: tsr_route_rows<3>(w, bias, xb, logits, sl, K4, E, t0); break;
        default: tsr_route_rows<4>(w, bias, xb, logits, sl, K4, E, t0); break;
    }
    __syncthreads();
    if (warp < nt) tsr_topk_softmax_row(sl[warp], ids + (t0 + warp) * k, weights + (t0 + warp) * k, E, k);
}

// ---------------------------------------------------------------------------------------------------------------------
// Argmax: grid (blocks, rows) of 256 threads writes each block's best (value, index) of its slice; one block per row
// then reduces the blocks' results in block order. Index −1 when the row has nothing but NaN.
// ---------------------------------------------------------------------------------------------------------------------
struct TsrBest
{
    float v;
    int i;
};

__device__ __forceinline__ TsrBest tsr_block_best(float v, int i)
{
    __shared__ float sv[32];
    __shared__ int si[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    tsr_warp_best(v, i);
    if (lane == 0)
    {
        sv[warp] = v;
        si[warp] = i;
    }
    __syncthreads();
    if (warp == 0)
    {
        v = lane < warps ? sv[lane] : 0.f;
        i = lane < warps ? si[lane] : -1;
        tsr_warp_best(v, i);
    }
    return TsrBest{v, i};   // valid in thread 0
}

extern "C" __global__ void tsr_argmax_blocks(const float* __restrict__ logits, int n, int slice, TsrBest* __restrict__ partial)
{
    TSR_PDL_ENTRY();
    const float* row = logits + (long long)blockIdx.y * n;
    int begin = blockIdx.x * slice, end = min(n, begin + slice);
    float bv = 0.f;
    int bi = -1;
    for (int i = begin + threadIdx.x; i < end; i += blockDim.x)
    {
        float v = row[i];
        if (tsr_beats(v, i, bv, bi))
        {
            bv = v;
            bi = i;
        }
    }
    TsrBest b = tsr_block_best(bv, bi);
    if (threadIdx.x == 0) partial[(long long)blockIdx.y * gridDim.x + blockIdx.x] = b;
}

extern "C" __global__ void tsr_argmax_final(const TsrBest* __restrict__ partial, int blocks, int* __restrict__ result)
{
    TSR_PDL_ENTRY();
    const TsrBest* p = partial + (long long)blockIdx.x * blocks;
    float bv = 0.f;
    int bi = -1;
    for (int b = threadIdx.x; b < blocks; b += blockDim.x)
        if (tsr_beats(p[b].v, p[b].i, bv, bi))
        {
            bv = p[b].v;
            bi = p[b].i;
        }
    TsrBest b = tsr_block_best(bv, bi);
    if (threadIdx.x == 0) result[blockIdx.x] = b.i;
}

// ---------------------------------------------------------------------------------------------------------------------
// Top-K candidates of one row: blocks of 1024 threads each keep the K best of their slice in a shared buffer of 2048
// entries (appending what beats the current K-th, sorting with a bitonic network when the buffer could overflow); then
// one block does the same over the blocks' K-lists. Invalid entries (index −1) sort last.
// ---------------------------------------------------------------------------------------------------------------------
#define TSR_TOPK_THREADS 1024
#define TSR_TOPK_BUFFER 2048

// Whether entry a goes before entry b: valid first, larger value first, then lower index.
__device__ __forceinline__ bool tsr_before(float av, int ai, float bv, int bi)
{
    if (ai < 0) return false;
    if (bi < 0) return true;
    return av > bv || (av == bv && ai < bi);
}

// Sorts the first `count` entries (count ≤ 2048); entries up to the next power of two are made invalid first.
__device__ void tsr_sort(float* sv, int* si, int count)
{
    int size = 2;
    while (size < count) size <<= 1;
    for (int i = count + threadIdx.x; i < size; i += blockDim.x) si[i] = -1;
    __syncthreads();
    for (int k = 2; k <= size; k <<= 1)
        for (int j = k >> 1; j > 0; j >>= 1)
        {
            for (int i = threadIdx.x; i < size; i += blockDim.x)
            {
                int o = i ^ j;
                if (o > i)
                {
                    bool up = (i & k) == 0;   // this half sorts "before" order first
                    float vi = sv[i], vo = sv[o];
                    int ii = si[i], io = si[o];
                    bool swap = up ? tsr_before(vo, io, vi, ii) : tsr_before(vi, ii, vo, io);
                    if (swap)
                    {
                        sv[i] = vo;
                        sv[o] = vi;
                        si[i] = io;
                        si[o] = ii;
                    }
                }
            }
            __syncthreads();
        }
}

// The K best of `count` entries given by load(i) → (value, index), into out (K entries, padded with index −1).
template <typename Load>
__device__ void tsr_topk_block(Load load, int count, int K, float* outV, int* outI)
{
    __shared__ float sv[TSR_TOPK_BUFFER];
    __shared__ int si[TSR_TOPK_BUFFER];
    __shared__ int filled;
    if (threadIdx.x == 0) filled = 0;
    __syncthreads();
    float thrV = 0.f;
    int thrI = -1;    // the K-th best so far (−1 until K entries were kept)
    for (int base = 0; base < count; base += blockDim.x)
    {
        int f = filled;
        __syncthreads();   // everyone has read `filled` before anyone appends
        if (f + (int)blockDim.x > TSR_TOPK_BUFFER)
        {
            tsr_sort(sv, si, f);
            int kept = min(f, K);
            if (kept == K)
            {
                thrV = sv[K - 1];
                thrI = si[K - 1];
            }
            __syncthreads();
            if (threadIdx.x == 0) filled = kept;
            __syncthreads();
        }
        int i = base + threadIdx.x;
        if (i < count)
        {
            float v;
            int id;
            load(i, v, id);
            if (id >= 0 && v == v && (thrI < 0 || tsr_before(v, id, thrV, thrI)))
            {
                int at = atomicAdd(&filled, 1);
                sv[at] = v;
                si[at] = id;
            }
        }
        __syncthreads();
    }
    int total = filled;
    tsr_sort(sv, si, total);
    for (int j = threadIdx.x; j < K; j += blockDim.x)
    {
        bool ok = j < total && si[j] >= 0;
        outV[j] = ok ? sv[j] : -INFINITY;
        outI[j] = ok ? si[j] : -1;
    }
}

struct TsrLoadLogits
{
    const float* row;
    int begin;
    __device__ void operator()(int i, float& v, int& id) const
    {
        v = row[begin + i];
        id = begin + i;
    }
};

struct TsrLoadCandidates
{
    const float* v;
    const int* ids;
    __device__ void operator()(int i, float& value, int& id) const
    {
        value = v[i];
        id = ids[i];
    }
};

// Grid (blocks): block b takes logits [b·slice, min(n, (b+1)·slice)) and writes its K best to candV/candI [b·K ..].
extern "C" __global__ void __launch_bounds__(TSR_TOPK_THREADS)
tsr_topk_blocks(const float* __restrict__ logits, int n, int slice, int K, float* __restrict__ candV, int* __restrict__ candI)
{
    TSR_PDL_ENTRY();
    int begin = blockIdx.x * slice, count = min(n, begin + slice) - begin;
    tsr_topk_block(TsrLoadLogits{logits, begin}, count, K, candV + (long long)blockIdx.x * K, candI + (long long)blockIdx.x * K);
}

// One block: the K best of the blocks' blocks·K candidates.
extern "C" __global__ void __launch_bounds__(TSR_TOPK_THREADS)
tsr_topk_final(const float* __restrict__ candV, const int* __restrict__ candI, int count, int K, float* __restrict__ values,
               int* __restrict__ ids)
{
    TSR_PDL_ENTRY();
    tsr_topk_block(TsrLoadCandidates{candV, candI}, count, K, values, ids);
}

// ---------------------------------------------------------------------------------------------------------------------
// Sampling at a temperature, as Inference/Sampler.cs does it without bias and penalties: top-k → top-p (on the softmax at
// temperature 1) → min-p → temperature → softmax → one draw u ∈ [0, 1) by cumulative weight over the kept tokens in id
// order. The result is the token id, or −1 where the device cannot settle the choice as the host would: a NaN or +∞
// logit, every logit −∞, a kept set that may reach beyond the K best candidates, a top-p boundary within rounding of the
// target. The host then reads the logits and samples with the same u. Every weight is the host's, e^(x/T − M/T) with the
// row's maximum M and the same float divisions (tsr_sample_weight), so the cumulative sums agree with the host's to parts
// in 10^7 (its weights far below the maximum come from F32Exp, about 1 ulp off) and a draw lands on another token only
// that close to a boundary between two.
//   tsr_sample_max       grid over slices of the row: each slice's largest logit, and whether it holds a NaN or +∞.
//   tsr_sample_sums      the same grid: every block finds M from the slices' maxima, then sums its slice's weights.
//   tsr_sample_draw      no filter, one block: the slice where u·total falls (the host walks its blocks of 4,096 alike),
//                        then the weights from there in id order to the first cumulative sum above u·total.
//   tsr_sample_truncated any filter, one block over the K ≤ 256 best candidates (tsr_topk_*, descending) and, for top-p
//                        without a top-k the candidates hold, the sums at temperature 1: how many candidates the filters
//                        keep, then the draw over them in id order.
// Sums are double, reduced by fixed trees; integer shared atomics only pick a maximum, so results do not depend on timing.
// ---------------------------------------------------------------------------------------------------------------------
#define TSR_SAMPLE_SLICE_THREADS 256
#define TSR_SAMPLE_DRAW_THREADS 1024
#define TSR_SAMPLE_CANDIDATES 256

struct TsrSliceMax
{
    float max;   // the slice's largest logit (−∞ when it has none above −∞)
    int bad;     // whether the slice holds a NaN or +∞
};

// The largest v over the block, in every thread; `scratch` 32 floats of shared memory. NaN is ignored.
__device__ __forceinline__ float tsr_block_max(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = tsr_warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < warps; w++) m = fmaxf(m, scratch[w]);
    __syncthreads();
    return m;
}

// Inclusive prefix sum of x in thread order (blockDim a multiple of 32), and the block's total in every thread; `scratch`
// 32 doubles of shared memory.
__device__ __forceinline__ double tsr_block_scan(double x, double* scratch, double& total)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1)
    {
        double y = __shfl_up_sync(0xffffffffu, x, o);
        if (lane >= o) x += y;
    }
    if (lane == 31) scratch[warp] = x;
    __syncthreads();
    if (warp == 0)
    {
        double s = lane < warps ? scratch[lane] : 0.0;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1)
        {
            double y = __shfl_up_sync(0xffffffffu, s, o);
            if (lane >= o) s += y;
        }
        if (lane < warps) scratch[lane] = s;
    }
    __syncthreads();
    if (warp > 0) x += scratch[warp - 1];
    total = scratch[warps - 1];
    __syncthreads();
    return x;
}

// The row's largest logit M from the slices' maxima (thread b reads slice b; blocks ≤ blockDim), in every thread; false
// when the host must decide (a NaN or +∞, or nothing above −∞).
__device__ __forceinline__ bool tsr_sample_row_max(const TsrSliceMax* __restrict__ maxima, int blocks, float* smax, float& M)
{
    TsrSliceMax p = threadIdx.x < blocks ? maxima[threadIdx.x] : TsrSliceMax{-INFINITY, 0};
    int bad = __syncthreads_or(p.bad);
    M = tsr_block_max(p.max, smax);
    return !bad && M > -INFINITY;
}

// The host's weight of logit x: e^(x/T − M/T) in float (T = 1: x/1 is x), the exponent rounded to float as the host
// rounds it and the exponential in double, rounded once: MathF.Exp's value (glibc's expf is within 0.502 ulp), where
// expf's error of up to 2 ulp, if biased, would add up over 201,088 weights to a good part of one token's share.
__device__ __forceinline__ float tsr_sample_weight(float x, float temperature, float scaledMax)
{
    return (float)exp((double)(__fdiv_rn(x, temperature) - scaledMax));
}

extern "C" __global__ void __launch_bounds__(TSR_SAMPLE_SLICE_THREADS)
tsr_sample_max(const float* __restrict__ logits, int n, int slice, TsrSliceMax* __restrict__ maxima)
{
    TSR_PDL_ENTRY();
    __shared__ float smax[32];
    const int begin = blockIdx.x * slice, end = min(n, begin + slice);
    float m = -INFINITY;
    int bad = 0;
    for (int i = begin + threadIdx.x; i < end; i += blockDim.x)
    {
        float v = logits[i];
        bad |= !(v < INFINITY);
        m = fmaxf(m, v);
    }
    bad = __syncthreads_or(bad);
    m = tsr_block_max(m, smax);
    if (threadIdx.x == 0) maxima[blockIdx.x] = TsrSliceMax{m, bad};
}

extern "C" __global__ void __launch_bounds__(TSR_SAMPLE_SLICE_THREADS)
tsr_sample_sums(const float* __restrict__ logits, int n, int slice, const TsrSliceMax* __restrict__ maxima, int blocks,
                float temperature, double* __restrict__ sums)
{
    TSR_PDL_ENTRY();
    __shared__ float smax[32];
    __shared__ double ssum[32];
    float M;
    double s = 0.0;
    if (tsr_sample_row_max(maxima, blocks, smax, M))
    {
        const float scaledMax = __fdiv_rn(M, temperature);
        const int begin = blockIdx.x * slice, end = min(n, begin + slice);
        for (int i = begin + threadIdx.x; i < end; i += blockDim.x) s += tsr_sample_weight(logits[i], temperature, scaledMax);
    }
    double total;
    tsr_block_scan(s, ssum, total);
    if (threadIdx.x == 0) sums[blockIdx.x] = total;
}

extern "C" __global__ void __launch_bounds__(TSR_SAMPLE_DRAW_THREADS)
tsr_sample_draw(const float* __restrict__ logits, int n, int slice, const TsrSliceMax* __restrict__ maxima,
                const double* __restrict__ sums, int blocks, float temperature, double u, int* __restrict__ result)
{
    TSR_PDL_ENTRY();
    __shared__ float smax[32];
    __shared__ double sscan[32];
    __shared__ double sbefore[TSR_SAMPLE_DRAW_THREADS];
    __shared__ int slast;
    const int t = threadIdx.x;
    float M;
    if (!tsr_sample_row_max(maxima, blocks, smax, M))
    {
        if (t == 0) *result = -1;
        return;
    }
    const float scaledMax = __fdiv_rn(M, temperature);
    const double S = t < blocks ? sums[t] : 0.0;
    double total;
    const double cumulative = tsr_block_scan(S, sscan, total);
    const double target = u * total;
    sbefore[t] = cumulative - S;
    if (t == 0) slast = -1;
    // The slices whose sums leave the cumulative at or below the target are skipped, the last one never.
    const int first = min(__syncthreads_count(t < blocks && cumulative <= target), blocks - 1);
    double base = sbefore[first];
    int found = -1;
    for (int start = first * slice; start < n && found < 0; start += blockDim.x)
    {
        const int i = start + t;
        const float w = i < n ? tsr_sample_weight(logits[i], temperature, scaledMax) : 0.f;
        double chunk;
        const double c = base + tsr_block_scan(w, sscan, chunk);
        if (w > 0.f) atomicMax(&slast, i);
        // The sums only grow along the chunk: the threads at or below the target are those before the first above it.
        const int below = __syncthreads_count(c <= target);
        if (below < (int)blockDim.x) found = start + below;
        base += chunk;
    }
    __syncthreads();
    // Rounding left the target at or above the total: the last token with a weight, as on the host (−1: none after the
    // slice, and the host looks before it).
    if (t == 0) *result = found >= 0 ? found : slast;
}

extern "C" __global__ void __launch_bounds__(TSR_SAMPLE_CANDIDATES)
tsr_sample_truncated(const float* __restrict__ values, const int* __restrict__ ids, int K, int n,
                     const TsrSliceMax* __restrict__ maxima, const double* __restrict__ sums, int blocks, float temperature,
                     int topK, float topP, int useMinP, float lnMinP, double u, int* __restrict__ result)
{
    TSR_PDL_ENTRY();
    __shared__ float smax[32];
    __shared__ double sscan[32];
    __shared__ int sid[TSR_SAMPLE_CANDIDATES], sorted[TSR_SAMPLE_CANDIDATES];
    __shared__ float sw[TSR_SAMPLE_CANDIDATES];
    __shared__ double sprefix[TSR_SAMPLE_CANDIDATES];
    __shared__ int slast;
    const int t = threadIdx.x;
    float M;
    if (!tsr_sample_row_max(maxima, blocks, smax, M))
    {
        if (t == 0) *result = -1;
        return;
    }
    double all = 0.0;   // the whole row's Σ e^(x − M), when `sums` holds it
    if (sums) tsr_block_scan(t < blocks ? sums[t] : 0.0, sscan, all);
    const float v = t < K ? values[t] : -INFINITY;
    const int id = t < K ? ids[t] : -1;
    // Top-p's weights, the host's e^(x − max), summed in descending order.
    double candidates;
    const double P = tsr_block_scan(t < K ? tsr_sample_weight(v, 1.f, M) : 0.f, sscan, candidates);
    sprefix[t] = P;
    sid[t] = id;
    if (t == 0) slast = -1;
    __syncthreads();

    // Each filter keeps a prefix of the candidates, and the draw the shortest; `beyond` stands for a prefix that may reach
    // past them. Top-p's may be open between two lengths, which matters only if min-p does not keep fewer.
    const int beyond = K + 1;
    const int kept = topK > 0 && topK <= K ? topK : K == n ? K : beyond;   // top-k
    int m = kept, nucleus = beyond, nucleusHigh = beyond;
    if (useMinP)
    {
        // The host's threshold, max + ln(min-p) in float, with its logarithm.
        const int above = __syncthreads_count(t < K && v >= M + lnMinP);
        m = min(m, above == K && K < n ? beyond : max(above, 1));
    }
    if (topP < 1.f && kept != 1)
    {
        // The top-k set's total: exact when the candidates hold it; the whole row without top-k; else between the
        // candidates' sum and that plus what the top-k tokens past them can weigh (each at most the K-th's weight).
        double low, high;
        if (kept <= K) low = high = sprefix[kept - 1];
        else if (topK == 0 || topK >= n) low = high = all;
        else
        {
            low = candidates;
            high = fmax(low, fmin(all, candidates + (double)(topK - K) * tsr_sample_weight(values[K - 1], 1.f, M)));
        }
        // The smallest prefix reaching p of the total; undecided where float rounding (the host's exp against this one's,
        // other summation orders: parts in 10^7) could move the boundary.
        const int limit = min(kept, K);
        const int first = __syncthreads_count(t < limit && P < (double)topP * low * (1 - 1e-6));
        const int last = __syncthreads_count(t < limit && P < (double)topP * high * (1 + 1e-6));
        nucleus = first < limit ? first + 1 : kept;   // rounding left the sum short of p: everything stays
        nucleusHigh = last < limit ? last + 1 : kept;
    }
    if (nucleus < m && nucleusHigh != nucleus)
    {
        if (t == 0) *result = -1;
        return;
    }
    m = min(m, nucleus);
    if (m > K || __syncthreads_or(t < m && id < 0))
    {
        if (t == 0) *result = -1;
        return;
    }

    // The draw over the m kept candidates in id order (the ids are distinct: a candidate's rank is how many are below it).
    if (t < m)
    {
        int rank = 0;
        for (int j = 0; j < m; j++) rank += sid[j] < id;
        sorted[rank] = id;
        sw[rank] = tsr_sample_weight(v, temperature, __fdiv_rn(M, temperature));
    }
    __syncthreads();
    const float w = t < m ? sw[t] : 0.f;
    double total;
    const double c = tsr_block_scan(w, sscan, total);
    const double target = u * total;
    if (t < m && w > 0.f) atomicMax(&slast, t);
    const int below = __syncthreads_count(t < m && c <= target);
    if (t == 0) *result = below < m ? sorted[below] : sorted[max(slast, 0)];
}

// Attention with sinks over the KV cache (gpt-oss-facts.md §4.2e-f; CPU references AttentionWithSinks.cs and
// F16KvAttention.cs). Slot s is visible to a query at position p iff kpos[s] ≥ 0 && kpos[s] ≤ p && (window == 0 ||
// p − kpos[s] < window); score = scale·(q·k); the sink logit joins the softmax denominator only. fp32 arithmetic, queries
// as given (the CPU's default tiled attention does the same; ggml's exact path and the tensor-core decode below round
// them to F16 for an F16 cache).
//
// Decode (few query rows, CUDA-graph friendly: nothing about the depth comes from the host): flash-decoding. Grid (slot
// chunks × kv heads·head splits × T), 128 threads; a block takes H query heads of its kv head (all G of them, or a part
// when the grid would be small) over its chunk, reads the chunk's positions, exits at once if no slot is visible, else
// walks the chunk in tiles of 32 slots (skipping tiles with nothing visible; the next tile's keys and values are loaded
// while one is computed) with an online softmax, and writes its partial max, sum and unnormalised value sum to scratch.
// The combine kernel (a block per query head and row) merges the chunks in a fixed order and adds the sink:
// deterministic. An F16 cache with 64-wide heads (gpt-oss) is decoded on tensor cores instead
// (tsr_attn_decode_mma_f16_d64, below: F16 products, fp32 sums), writing the same partial results for the same combine.
//
// Prefill (many query rows): flash attention. A summary kernel writes the smallest and largest position of every tile of
// 64 slots; a block per (tile of query rows, kv head) takes 64 query-head rows (64/G tokens × the G heads of the kv head),
// skips the key tiles the summary rules out, stages each tile's keys and values (as floats) in shared memory and keeps an
// online softmax per row in registers.
#include "common.cuh"

#define TSR_ATT_TILE 64        // slots per key tile (both paths) and query-head rows per prefill block
#define TSR_ATT_MAX_GROUP 16   // query heads per kv head
#define TSR_ATT_DECODE_THREADS 128
#define TSR_ATT_PREFILL_THREADS 256

__device__ __forceinline__ bool tsr_visible(int qp, int kp, int window)
{
    return kp >= 0 && kp <= qp && (window == 0 || qp - kp < window);
}

// Sixteen bytes of a cache row as floats: 8 halves or 4 floats.
template <typename T> struct TsrKv;
template <> struct TsrKv<__half>
{
    static constexpr int Per16 = 8;
    __device__ static __forceinline__ void Load(const void* p, float* v)
    {
        uint4 raw = *(const uint4*)p;
        const __half2* h = (const __half2*)&raw;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            float2 f = __half22float2(h[i]);
            v[2 * i] = f.x;
            v[2 * i + 1] = f.y;
        }
    }
    __device__ static __forceinline__ float2 Load2(const __half* p) { return __half22float2(*(const __half2*)p); }
    // Two values of a row as loaded (converted when used, so a load can be issued a tile ahead).
    typedef __half2 Raw2;
    __device__ static __forceinline__ Raw2 LoadRaw2(const __half* p) { return *(const __half2*)p; }
    __device__ static __forceinline__ Raw2 ZeroRaw2() { return __half2(); }
    __device__ static __forceinline__ float2 Float2(Raw2 r) { return __half22float2(r); }
    __device__ static __forceinline__ void Convert(const uint4& raw, float* v)
    {
        const __half2* h = (const __half2*)&raw;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            float2 f = __half22float2(h[i]);
            v[2 * i] = f.x;
            v[2 * i + 1] = f.y;
        }
    }
};
template <> struct TsrKv<float>
{
    static constexpr int Per16 = 4;
    __device__ static __forceinline__ void Load(const void* p, float* v)
    {
        float4 f = *(const float4*)p;
        v[0] = f.x;
        v[1] = f.y;
        v[2] = f.z;
        v[3] = f.w;
    }
    __device__ static __forceinline__ float2 Load2(const float* p) { return *(const float2*)p; }
    typedef float2 Raw2;
    __device__ static __forceinline__ Raw2 LoadRaw2(const float* p) { return *(const float2*)p; }
    __device__ static __forceinline__ Raw2 ZeroRaw2() { return make_float2(0.f, 0.f); }
    __device__ static __forceinline__ float2 Float2(Raw2 r) { return r; }
    __device__ static __forceinline__ void Convert(const uint4& raw, float* v)
    {
        v[0] = __uint_as_float(raw.x);
        v[1] = __uint_as_float(raw.y);
        v[2] = __uint_as_float(raw.z);
        v[3] = __uint_as_float(raw.w);
    }
};

// ---------------------------------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------------------------------

// Decode tile: slots per tile (a lane per slot in the softmax) and threads per block.
#define TSR_ATT_DTILE 32

// One tile's keys and values as this thread loads them: KP 16-byte parts of key rows (pass p: key p·STEP + warp·PER_WARP
// + kk, part sub) and VN value pairs (slot sg + i·NG, columns 2u, 2u + 1), raw, so that the next tile's loads are in
// flight while this one is computed. Slots not visible are not loaded (zeros).
template <typename TKV, int D>
struct TsrDecodeTile
{
    static constexpr int E = TsrKv<TKV>::Per16, L = D / E, PER_WARP = 32 / L, WARPS = TSR_ATT_DECODE_THREADS / 32;
    static constexpr int STEP = WARPS * PER_WARP, KP = (TSR_ATT_DTILE + STEP - 1) / STEP;
    static constexpr int U = D / 2, NG = TSR_ATT_DECODE_THREADS / U, VN = TSR_ATT_DTILE / NG;
    uint4 k[KP];
    typename TsrKv<TKV>::Raw2 v[VN];

    __device__ __forceinline__ void load(const TKV* kBase, const TKV* vBase, long long s0, int width, unsigned mask, int warp,
                                         int kk, int sg)
    {
#pragma unroll
        for (int p = 0; p < KP; p++)
        {
            const int key = p * STEP + warp * PER_WARP + kk;
            k[p] = key < TSR_ATT_DTILE && (mask >> key & 1) ? *(const uint4*)(kBase + (s0 + key) * width) : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int i = 0; i < VN; i++)
        {
            const int key = sg + i * NG;
            v[i] = mask >> key & 1 ? TsrKv<TKV>::LoadRaw2(vBase + (s0 + key) * width) : TsrKv<TKV>::ZeroRaw2();
        }
    }
};

// The first tile after `ti` with a visible slot (tiles when none).
__device__ __forceinline__ int tsr_next_tile(const unsigned* vis, int ti, int tiles)
{
    do ti++;
    while (ti < tiles && vis[ti] == 0);
    return ti;
}

// Dynamic shared memory: qs [H·D] (the block's H query heads), ps [H·32] (scores, then weights of a tile), red [256·H]
// (the value sums of the thread groups). Grid (chunks, kvHeads·splits, T), 128 threads; the block takes chunk c of kv head
// kvh for query heads kvh·G + split·H .. + H − 1 (H = G / splits) of row t.
//   1. The queries into shared memory (as given, F32), and the visibility of the chunk's slots, a 32-bit
//      mask per tile (warp ballots); exit when nothing is visible.
//   2. Per tile with a visible slot (its keys and values requested while the tile before is computed): scores (L = D/E
//      lanes per key row, 16-byte key loads, the H dots reduced over the L lanes), an online softmax per head (a warp per
//      head, a lane per slot, __expf), then every thread adds p·v for the visible slots of its slot group to its H pairs of
//      columns.
//   3. The thread groups' sums are added in group order and written with the chunk's max and sum per head.
template <typename TKV, int D>
__device__ __forceinline__ void tsr_attn_decode(const float* __restrict__ q, const TKV* __restrict__ keys,
                                                const TKV* __restrict__ values, const int* __restrict__ qpos,
                                                const int* __restrict__ kpos, int slots, int window, float scale, int heads,
                                                int kvHeads, int chunk, int H, float2* __restrict__ stats,
                                                float* __restrict__ partial)
{
    typedef TsrDecodeTile<TKV, D> Tile;
    constexpr int E = Tile::E, L = Tile::L, PER_WARP = Tile::PER_WARP, WARPS = Tile::WARPS;
    constexpr int U = Tile::U, NG = Tile::NG;   // column pairs per row; slot groups
    extern __shared__ float tsr_dyn[];
    __shared__ unsigned vis[32];   // ≤ 1024 slots per chunk
    __shared__ float ms[TSR_ATT_MAX_GROUP], ls[TSR_ATT_MAX_GROUP], rs[TSR_ATT_MAX_GROUP];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int c = blockIdx.x, t = blockIdx.z, chunks = gridDim.x;
    const int G = heads / kvHeads, splits = G / H, kvh = blockIdx.y / splits, h0 = kvh * G + (blockIdx.y - kvh * splits) * H;
    const int width = kvHeads * D;
    const int begin = c * chunk, end = min(begin + chunk, slots), tiles = (end - begin + TSR_ATT_DTILE - 1) / TSR_ATT_DTILE;
    const int qp = qpos[t];

    // The queries are read while the positions are (one round of memory latency, not two).
    float* qs = tsr_dyn;
    float* ps = qs + H * D;
    float* red = ps + H * TSR_ATT_DTILE;
    const float* qRow = q + ((long long)t * heads + h0) * D;
    for (int i = tid; i < H * D; i += TSR_ATT_DECODE_THREADS) qs[i] = qRow[i];
    if (tid < H)
    {
        ms[tid] = -INFINITY;
        ls[tid] = 0.f;
    }

    bool any = false;
    for (int ti = warp; ti < tiles; ti += WARPS)
    {
        int s = begin + ti * TSR_ATT_DTILE + lane;
        unsigned m = __ballot_sync(0xffffffffu, s < end && tsr_visible(qp, kpos[s], window));
        if (lane == 0) vis[ti] = m;
        any |= m != 0;
    }
    if (!__syncthreads_or(any))
    {
        if (tid < H) stats[((long long)t * heads + h0 + tid) * chunks + c] = make_float2(-INFINITY, 0.f);
        return;
    }

    const int sub = lane % L, kk = lane / L;     // scores: part of the key row, key of the warp's pass
    const int u = tid % U, sg = tid / U;         // values: column pair, slot group
    const TKV* kBase = keys + (long long)kvh * D + sub * E;
    const TKV* vBase = values + (long long)kvh * D + 2 * u;
    float2 acc[TSR_ATT_MAX_GROUP];
#pragma unroll
    for (int g = 0; g < TSR_ATT_MAX_GROUP; g++) acc[g] = make_float2(0.f, 0.f);

    // Tile ti of the chunk from its loaded keys and values.
    auto process = [&](const Tile& tile, int ti) {
        __syncthreads();   // qs, ms, ls ready; the previous tile's ps and rs consumed
        const unsigned mask = vis[ti];

        // Scores: warp w takes keys w·PER_WARP + kk, + WARPS·PER_WARP, ... (F16 with D = 16: 16 keys a warp, warps 2, 3 idle).
#pragma unroll
        for (int pass = 0; pass < Tile::KP; pass++)
        {
            const int base = pass * Tile::STEP;
            if (base + warp * PER_WARP >= TSR_ATT_DTILE) break;   // warp-uniform
            const int key = base + warp * PER_WARP + kk;
            const bool ok = mask >> key & 1;
            float k[E];
            TsrKv<TKV>::Convert(tile.k[pass], k);
#pragma unroll
            for (int g = 0; g < TSR_ATT_MAX_GROUP; g++)
            {
                if (g >= H) break;
                const float4* qg = (const float4*)(qs + g * D + sub * E);
                float dot = 0.f;
#pragma unroll
                for (int e4 = 0; e4 < E / 4; e4++)
                {
                    float4 qv = qg[e4];
                    dot = fmaf(qv.x, k[4 * e4], dot);
                    dot = fmaf(qv.y, k[4 * e4 + 1], dot);
                    dot = fmaf(qv.z, k[4 * e4 + 2], dot);
                    dot = fmaf(qv.w, k[4 * e4 + 3], dot);
                }
#pragma unroll
                for (int o = L >> 1; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                if (sub == 0) ps[g * TSR_ATT_DTILE + key] = ok ? dot * scale : -INFINITY;
            }
        }
        __syncthreads();

        // Online softmax: warp w takes heads w, w + 4, ...; a lane per slot. The tile has a visible slot, so its max is finite.
        for (int g = warp; g < H; g += WARPS)
        {
            float a = ps[g * TSR_ATT_DTILE + lane];
            float mOld = ms[g], mNew = fmaxf(mOld, tsr_warp_max(a));
            float p = a == -INFINITY ? 0.f : __expf(a - mNew);
            float r = mOld == -INFINITY ? 0.f : __expf(mOld - mNew);
            float sum = tsr_warp_sum(p);
            ps[g * TSR_ATT_DTILE + lane] = p;
            if (lane == 0)
            {
                ms[g] = mNew;
                ls[g] = fmaf(ls[g], r, sum);
                rs[g] = r;
            }
        }
        __syncthreads();

        // Values: the thread adds p·v over the visible slots sg, sg + NG, ... of the tile to its column pair u.
#pragma unroll
        for (int g = 0; g < TSR_ATT_MAX_GROUP; g++)
        {
            if (g >= H) break;
            float r = rs[g];
            acc[g].x *= r;
            acc[g].y *= r;
        }
#pragma unroll
        for (int i = 0; i < Tile::VN; i++)
        {
            const int key = sg + i * NG;
            if (!(mask >> key & 1)) continue;
            const float2 v = TsrKv<TKV>::Float2(tile.v[i]);
#pragma unroll
            for (int g = 0; g < TSR_ATT_MAX_GROUP; g++)
            {
                if (g >= H) break;
                float p = ps[g * TSR_ATT_DTILE + key];
                acc[g].x = fmaf(p, v.x, acc[g].x);
                acc[g].y = fmaf(p, v.y, acc[g].y);
            }
        }
    };
    auto fetch = [&](Tile& tile, int ti) {
        tile.load(kBase, vBase, begin + (long long)ti * TSR_ATT_DTILE, width, vis[ti], warp, kk, sg);
    };

    // Two tiles in registers, alternating (no copies: a copy would wait for the loads it copies); one at a time where two
    // would not fit in registers beside the sums (128-wide heads, F32 caches of 64-wide heads).
    int ti = tsr_next_tile(vis, -1, tiles);
    if (sizeof(Tile) >= 128)   // a constant: one branch is compiled
    {
        Tile ta;
        for (; ti < tiles; ti = tsr_next_tile(vis, ti, tiles))
        {
            fetch(ta, ti);
            process(ta, ti);
        }
    }
    else
    {
        Tile ta, tb;
        fetch(ta, ti);
        while (true)
        {
            int tn = tsr_next_tile(vis, ti, tiles);
            if (tn < tiles) fetch(tb, tn);
            process(ta, ti);
            if (tn >= tiles) break;
            ti = tn;
            tn = tsr_next_tile(vis, ti, tiles);
            if (tn < tiles) fetch(ta, tn);
            process(tb, ti);
            if (tn >= tiles) break;
            ti = tn;
        }
    }

    // The slot groups' sums, added in group order.
#pragma unroll
    for (int g = 0; g < TSR_ATT_MAX_GROUP; g++)
    {
        if (g >= H) break;
        *(float2*)(red + (sg * H + g) * D + 2 * u) = acc[g];
    }
    __syncthreads();
    const long long first = ((long long)t * heads + h0) * chunks + c;   // stats index of (t, head h0, chunk c)
    if (tid < H) stats[first + (long long)tid * chunks] = make_float2(ms[tid], ls[tid]);
    for (int i = tid; i < H * D; i += TSR_ATT_DECODE_THREADS)
    {
        float a = red[i];
#pragma unroll
        for (int gi = 1; gi < NG; gi++) a += red[gi * H * D + i];
        int g = i / D, j = i - g * D;
        partial[(first + (long long)g * chunks) * D + j] = a;
    }
}

#define TSR_ATT_DECODE_KERNEL(NAME, TKV, D)                                                                                  \
    extern "C" __global__ void __launch_bounds__(TSR_ATT_DECODE_THREADS, 4)                                                  \
    NAME(const float* __restrict__ q, const TKV* __restrict__ keys, const TKV* __restrict__ values,                          \
         const int* __restrict__ qpos, const int* __restrict__ kpos, int slots, int window, float scale, int heads,          \
         int kvHeads, int chunk, int H, float2* __restrict__ stats, float* __restrict__ partial)                             \
    {                                                                                                                        \
        TSR_PDL_ENTRY();                                                                                                     \
        tsr_attn_decode<TKV, D>(q, keys, values, qpos, kpos, slots, window, scale, heads, kvHeads, chunk, H, stats, partial); \
    }

TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f16_d16, __half, 16)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f16_d32, __half, 32)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f16_d64, __half, 64)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f16_d128, __half, 128)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f32_d16, float, 16)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f32_d32, float, 32)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f32_d64, float, 64)
TSR_ATT_DECODE_KERNEL(tsr_attn_decode_f32_d128, float, 128)

// ---------------------------------------------------------------------------------------------------------------------
// Decode on tensor cores: an F16 cache with 64-wide heads (gpt-oss) and up to 16 query heads per kv head. Grid (chunks, kv
// heads, T), 4 warps; the block writes the same chunk statistics and partial sums as tsr_attn_decode (the same combine
// follows). The G query heads of the kv head are the 16 rows of an mma.sync m16n8k16 tile (rows past G are zeros), so one
// warp scores 16 keys against all heads with 8 mma (S = Q·Kᵀ, 2 tiles of 8 keys × 4 steps of 16 dims) and adds their
// values with 16 (O += P·V, 8 tiles of 8 dims, P split into an f16 high and low part so that the weights keep about 22
// bits, as fp32 has 24). Warp w walks the chunk's tiles of 16 keys w, w + 4, ... (tiles with nothing visible skipped; the
// next tile's keys and values are loaded while one is computed), with an online softmax per head (__expf, as
// tsr_attn_decode); the 4 warps' maxima, sums and values are merged in shared memory in warp order: deterministic.
// Registers hold whole 16-byte rows: the dot products run over the dims in the order thread tq (lane & 3) loaded them
// (pairs 4tq..4tq+3, then 16+4tq..), which Q's fragments follow, and the value tiles take dim 8g + n of a row for their
// column g of tile n, so each thread needs 16 bytes of a value row.
// A sliding window over a cache that holds position p in slot p mod slots (span = window < slots; the host knows the
// layout) walks only the window's slots behind the query, as the chunks of a cache of span slots: the ring's other
// slots are not looked at, and a window of up to 256 keys is one chunk whose block finishes the rows (no combine). Full
// attention over such a cache (span = −1) walks slots 0 .. qp only, the grid's chunks sized on the device for them.
// With programmatic launch a warp finds and requests its first tiles (early: 1 or 2) before it waits for the kernel before
// (Q, K and V's product, which writes this step's keys): positions are the step's inputs and earlier steps' keys and
// values are final, so only a tile holding a key of the batch's own positions is requested again after the wait.
#define TSR_ATT_MMA_WARPS 4

__device__ __forceinline__ uint32_t tsr_pack_h2(float lo, float hi)
{
    __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
}

// The sink step of the CPU reference (AttentionWithSinks.F32): the sink joins the denominator without moving the max.
// Returns the factor for the accumulated values (0 when nothing was visible).
__device__ __forceinline__ float tsr_sink_factor(float m, float l, float sink)
{
    if (l == 0.f) return 0.f;
    float r = 1.f, w = 1.f;
    if (sink > m) r = expf(m - sink);
    else w = expf(sink - m);
    return r / (l * r + w);
}

// Values j, j + 1 of a row of K values, quantised into the integer decode products' staging layout for Q8_0 weights (matvec.cu,
// mv_quantise4: K int8 quants, then a float scale per block of 32 values; per block d = f16(amax/127), q = round-half-even
// (x·127/amax)), with the same arithmetic, so that the product after this kernel copies the row instead of quantising it.
// The 16 lanes of a half warp hold one block of 32 values in order; mask: the lanes of the warp that call it (whole halves).
__device__ __forceinline__ void tsr_att_q8_pair(unsigned char* row, int K, int j, float a, float b, unsigned mask)
{
    float amax = fmaxf(fabsf(a), fabsf(b));
#pragma unroll
    for (int o = 1; o < 16; o <<= 1) amax = fmaxf(amax, __shfl_xor_sync(mask, amax, o));
    const float inv = amax != 0.f ? __fdiv_rn(127.f, amax) : 0.f;
    const int q0 = __float2int_rn(__fmul_rn(a, inv)), q1 = __float2int_rn(__fmul_rn(b, inv));
    *reinterpret_cast<unsigned short*>(row + j) = (unsigned short)((q0 & 0xFF) | (q1 & 0xFF) << 8);
    if ((j & 31) == 0) reinterpret_cast<float*>(row + K)[j >> 5] = __half2float(__float2half_rn(__fdiv_rn(amax, 127.f)));
}

// One warp's tile of 16 keys: its keys (thread (g, tq): key g of each 8-key half, dims 8tq.. and 8tq + 32..), its values
// (keys 2tq, 2tq + 1, 2tq + 8, 2tq + 9, dims 8g..8g + 7) and the visibility of its 16 keys (bit i: key i).
struct TsrMmaTile
{
    uint4 k[2][2];
    uint4 v[4];
    unsigned vis;
};

extern "C" __global__ void __launch_bounds__(TSR_ATT_MMA_WARPS * 32)
tsr_attn_decode_mma_f16_d64(const float* __restrict__ q, const __half* __restrict__ keys, const __half* __restrict__ values,
                            const int* __restrict__ qpos, const int* __restrict__ kpos, int slots, int window, float scale,
                            int heads, int kvHeads, int chunk, float2* __restrict__ stats, float* __restrict__ partial,
                            const float* __restrict__ sinks, float* __restrict__ output, unsigned char* __restrict__ xq, int xqRow,
                            int span, int early)
{
    constexpr int D = 64;
    __shared__ float so[TSR_ATT_MMA_WARPS][16][D + 1];
    __shared__ float sm[TSR_ATT_MMA_WARPS][16], sl[TSR_ATT_MMA_WARPS][16];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, tq = lane & 3;
    const int c = blockIdx.x, kvh = blockIdx.y, t = blockIdx.z, chunks = gridDim.x;
    const int G = heads / kvHeads, h0 = kvh * G;
    const int width = kvHeads * D;
    const int qp = qpos[t];   // positions are the step's inputs, written before its first kernel: read before the wait
    // The keys walked: slots 0 .. slots − 1; or (span > 0) the span positions qp − span + 1 .. qp, which the cache holds
    // in slots p mod slots (a ring): key i of the walk is slot slot0 + i, wrapped; or (span < 0) the slots up to qp, which
    // hold every position up to qp in such a cache, in chunks of the grid's count sized for them (a shallow query in a
    // large cache reads no positions past its own).
    const int walked = span > 0 ? span : span < 0 ? min(slots, max(qp + 1, 0)) : slots;
    const int slot0 = span > 0 ? ((qp - span + 1) % slots + slots) % slots : 0;
    const int size = span < 0 && chunks > 1 ? max(64, ((walked + chunks - 1) / chunks + 15) / 16 * 16) : chunk;
    const int begin = c * size, end = min(begin + size, walked), tiles = max(0, (end - begin + 15) / 16);
    auto slot = [&](int i) { const int s = slot0 + i; return s >= slots ? s - slots : s; };

    // Keys and values through L2 only (ld.global.cg): a tile requested before the wait below and again after it must
    // not be served from a line L1 kept of the first request.
    const __half* kBase = keys + (long long)kvh * D;
    const __half* vBase = values + (long long)kvh * D;
    auto fetch = [&](TsrMmaTile& tile, int ti) {
        const int s0 = begin + ti * 16;
        const int s = s0 + (lane & 15);
        const bool ok = lane < 16 && s < end && tsr_visible(qp, kpos[slot(s)], window);
        tile.vis = __ballot_sync(0xffffffffu, ok) & 0xffffu;
#pragma unroll
        for (int j = 0; j < 2; j++)
        {
            const bool kv = tile.vis >> (8 * j + g) & 1;
            const uint4* row = (const uint4*)(kBase + (long long)slot(s0 + 8 * j + g) * width);
            tile.k[j][0] = kv ? __ldcg(row + tq) : make_uint4(0, 0, 0, 0);
            tile.k[j][1] = kv ? __ldcg(row + tq + 4) : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            const int key = 2 * tq + (e & 1) + 8 * (e >> 1);
            tile.v[e] = tile.vis >> key & 1 ? __ldcg((const uint4*)(vBase + (long long)slot(s0 + key) * width) + g) : make_uint4(0, 0, 0, 0);
        }
    };
    // The next tile of this warp with a visible key: visibility first (a position per key), so empty tiles cost no loads.
    auto next = [&](int ti) {
        for (ti += TSR_ATT_MMA_WARPS; ti < tiles; ti += TSR_ATT_MMA_WARPS)
        {
            const int s = begin + ti * 16 + (lane & 15);
            if (__ballot_sync(0xffffffffu, lane < 16 && s < end && tsr_visible(qp, kpos[slot(s)], window)) != 0u) break;
        }
        return ti;
    };

    // early (1 or 2): the warp's first tile (or two) found and requested before the wait for the kernel before this one,
    // which may still be writing the keys and values of this step's positions (≥ the batch's least position); a tile
    // holding one of those is requested again after the wait. Earlier steps' keys and values are final.
    int ti = 0, tn = 0;
    bool again = true, againNext = true, haveNext = false;
    TsrMmaTile cur, nxt;
    if (early)
    {
        int least = qp;
        for (int r = 0; r < gridDim.z; r++) least = min(least, qpos[r]);
        auto fresh = [&](int tile) {
            const int s = begin + tile * 16 + (lane & 15);
            return __ballot_sync(0xffffffffu, lane < 16 && s < end && kpos[slot(s)] >= least) != 0u;
        };
        ti = next(warp - TSR_ATT_MMA_WARPS);
        if (ti < tiles)
        {
            fetch(cur, ti);
            again = fresh(ti);
            if (early > 1)
            {
                tn = next(ti);
                haveNext = true;
                if (tn < tiles)
                {
                    fetch(nxt, tn);
                    againNext = fresh(tn);
                }
            }
        }
    }
    TSR_PDL_ENTRY();

    // Q fragments, f16-rounded as the CPU reference rounds queries for an F16 cache: step kk takes pairs u = 2kk, 2kk + 1
    // of thread tq's order (pair 4tq + u, u < 4; 16 + 4tq + u − 4 after), rows g and g + 8 (zero past G).
    uint32_t qa[4][4];
    {
        const float* q0 = q + ((long long)t * heads + h0) * D;
#pragma unroll
        for (int kk = 0; kk < 4; kk++)
#pragma unroll
            for (int half = 0; half < 2; half++)
            {
                const int u = 2 * kk + half, pair = u < 4 ? 4 * tq + u : 16 + 4 * tq + u - 4;
                const float2 r0 = g < G ? *(const float2*)(q0 + g * D + 2 * pair) : make_float2(0.f, 0.f);
                const float2 r1 = g + 8 < G ? *(const float2*)(q0 + (g + 8) * D + 2 * pair) : make_float2(0.f, 0.f);
                qa[kk][2 * half] = tsr_pack_h2(r0.x, r0.y);
                qa[kk][2 * half + 1] = tsr_pack_h2(r1.x, r1.y);
            }
    }

    float o[8][4];
#pragma unroll
    for (int n = 0; n < 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};   // rows g, g + 8

    if (!early) ti = next(warp - TSR_ATT_MMA_WARPS);
    if (ti < tiles && again) fetch(cur, ti);
    if (haveNext && tn < tiles && againNext) fetch(nxt, tn);
    while (ti < tiles)
    {
        if (!haveNext)
        {
            tn = next(ti);
            if (tn < tiles) fetch(nxt, tn);
        }
        haveNext = false;

        // S = Q·Kᵀ: tile j holds keys 8j + 2tq, 8j + 2tq + 1 of rows g (s[j][0..1]) and g + 8 (s[j][2..3]).
        float sc[2][4];
#pragma unroll
        for (int j = 0; j < 2; j++)
        {
            sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
#pragma unroll
            for (int kk = 0; kk < 4; kk++)
                tsr_mma_f16(sc[j], qa[kk], tsr_word(cur.k[j][kk >> 1], 2 * (kk & 1)), tsr_word(cur.k[j][kk >> 1], 2 * (kk & 1) + 1));
        }
        // Online softmax per row; the row's values are spread over the 4 threads of a quad.
        float p[2][4];
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            float mt = -INFINITY;
#pragma unroll
            for (int j = 0; j < 2; j++)
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    const bool vis = cur.vis >> (8 * j + 2 * tq + e) & 1;
                    const float v = vis ? sc[j][2 * r + e] * scale : -INFINITY;
                    sc[j][2 * r + e] = v;
                    mt = fmaxf(mt, v);
                }
            mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, 1));
            mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, 2));
            const float mNew = fmaxf(m[r], mt);   // finite: the tile has a visible key
            const float rs = m[r] == -INFINITY ? 0.f : __expf(m[r] - mNew);
            float sum = 0.f;
#pragma unroll
            for (int j = 0; j < 2; j++)
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    const float a = sc[j][2 * r + e];
                    const float pv = a == -INFINITY ? 0.f : __expf(a - mNew);
                    p[j][2 * r + e] = pv;
                    sum += pv;
                }
            sum += __shfl_xor_sync(0xffffffffu, sum, 1);
            sum += __shfl_xor_sync(0xffffffffu, sum, 2);
            m[r] = mNew;
            l[r] = fmaf(l[r], rs, sum);
#pragma unroll
            for (int n = 0; n < 8; n++)
            {
                o[n][2 * r] *= rs;
                o[n][2 * r + 1] *= rs;
            }
        }
        // P as the A operand (rows g, g + 8; keys 2tq.. and 2tq + 8..), high and low f16 parts.
        uint32_t ph[4], pl[4];
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            const int j = i >> 1, r = i & 1;
            const float a = p[j][2 * r], b = p[j][2 * r + 1];
            ph[i] = tsr_pack_h2(a, b);
            const __half2 hh = *reinterpret_cast<const __half2*>(&ph[i]);
            pl[i] = tsr_pack_h2(a - __low2float(hh), b - __high2float(hh));
        }
        // O += P·V: value tile n takes dim 8g' + n for its column g' (b: keys 2tq, 2tq + 1 and 2tq + 8, 2tq + 9 of dim 8g + n).
#pragma unroll
        for (int n = 0; n < 8; n++)
        {
            const uint32_t sel = n & 1 ? 0x7632u : 0x5410u;
            const uint32_t b0 = __byte_perm(tsr_word(cur.v[0], n >> 1), tsr_word(cur.v[1], n >> 1), sel);
            const uint32_t b1 = __byte_perm(tsr_word(cur.v[2], n >> 1), tsr_word(cur.v[3], n >> 1), sel);
            tsr_mma_f16(o[n], ph, b0, b1);
            tsr_mma_f16(o[n], pl, b0, b1);
        }
        if (tn >= tiles) break;
        cur = nxt;
        ti = tn;
    }

    // The warps' results into shared memory: o[n][0..1] are dims 8·2tq + n and 8·(2tq + 1) + n of row g, o[n][2..3] of g + 8.
#pragma unroll
    for (int n = 0; n < 8; n++)
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            so[warp][g + 8 * r][16 * tq + n] = o[n][2 * r];
            so[warp][g + 8 * r][16 * tq + 8 + n] = o[n][2 * r + 1];
        }
    if (tq == 0)
    {
        sm[warp][g] = m[0];
        sm[warp][g + 8] = m[1];
        sl[warp][g] = l[0];
        sl[warp][g + 8] = l[1];
    }
    __syncthreads();
    if (output != nullptr)
    {
        // One chunk (the whole cache): the rows finished here, as tsr_attn_combine finishes a single chunk (the same
        // arithmetic), without its launch. A warp takes 32 pairs of values, one head; a half warp one block of 32.
        for (int i = threadIdx.x; i < G * D / 2; i += TSR_ATT_MMA_WARPS * 32)
        {
            const int r = i / (D / 2), j = 2 * (i - r * (D / 2));
            float mx = -INFINITY;
#pragma unroll
            for (int w = 0; w < TSR_ATT_MMA_WARPS; w++) mx = fmaxf(mx, sm[w][r]);
            float o0 = 0.f, o1 = 0.f;
            if (mx != -INFINITY)
            {
                float sum = 0.f, a0 = 0.f, a1 = 0.f;
#pragma unroll
                for (int w = 0; w < TSR_ATT_MMA_WARPS; w++)
                {
                    const float f = sm[w][r] == -INFINITY ? 0.f : __expf(sm[w][r] - mx);
                    sum = fmaf(sl[w][r], f, sum);
                    a0 = fmaf(so[w][r][j], f, a0);
                    a1 = fmaf(so[w][r][j + 1], f, a1);
                }
                const float f = tsr_sink_factor(mx, sum, sinks[h0 + r]);
                o0 = a0 * f;
                o1 = a1 * f;
            }
            float* out = output + ((long long)t * heads + h0 + r) * D + j;
            out[0] = o0;
            out[1] = o1;
            if (xq != nullptr) tsr_att_q8_pair(xq + t * (long long)xqRow, heads * D, (h0 + r) * D + j, o0, o1, 0xFFFFFFFFu);
        }
        return;
    }
    const long long first = ((long long)t * heads + h0) * chunks + c;   // stats index of (t, head h0, chunk c)
    for (int i = threadIdx.x; i < G * D; i += TSR_ATT_MMA_WARPS * 32)
    {
        const int r = i / D, j = i - r * D;
        float mx = -INFINITY;
#pragma unroll
        for (int w = 0; w < TSR_ATT_MMA_WARPS; w++) mx = fmaxf(mx, sm[w][r]);
        if (mx == -INFINITY)
        {
            if (j == 0) stats[first + (long long)r * chunks] = make_float2(-INFINITY, 0.f);
            continue;
        }
        float sum = 0.f, acc = 0.f;
#pragma unroll
        for (int w = 0; w < TSR_ATT_MMA_WARPS; w++)
        {
            const float f = sm[w][r] == -INFINITY ? 0.f : __expf(sm[w][r] - mx);
            sum = fmaf(sl[w][r], f, sum);
            acc = fmaf(so[w][r][j], f, acc);
        }
        if (j == 0) stats[first + (long long)r * chunks] = make_float2(mx, sum);
        partial[(first + (long long)r * chunks) * D + j] = acc;
    }
}

// Sum (or, with max, the maximum) of v over the block's 128 threads, in warp order; every thread gets it. red: 4 floats of shared
// memory, free again when this returns.
__device__ __forceinline__ float tsr_block128(float v, bool max, float* red)
{
    v = max ? tsr_warp_max(v) : tsr_warp_sum(v);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    float r = red[0];
#pragma unroll
    for (int w = 1; w < 4; w++) r = max ? fmaxf(r, red[w]) : r + red[w];
    __syncthreads();
    return r;
}

// Grid (heads, T), 128 threads: the block merges query head h of row t. Dynamic shared memory: chunks rounded up to even,
// then 128·2 floats. With xq ≠ null (d a multiple of 32) row t of the output is also left quantised for a Q8_0 product at
// xq + t·xqRow bytes (tsr_att_q8_pair).
// m = max m_c, l = Σ l_c·e^(m_c − m), acc = Σ e^(m_c − m)·acc_c (chunks with nothing visible skipped: their partial sums
// were never written), then the sink. Thread (group g, column pair u) adds chunks g, g + NG, ... (NG = 256/d groups), and
// the groups' sums are added in group order: deterministic.
extern "C" __global__ void __launch_bounds__(128)
tsr_attn_combine(const float2* __restrict__ stats, const float* __restrict__ partial, const float* __restrict__ sinks,
                 float* __restrict__ output, int heads, int d, int chunks, unsigned char* __restrict__ xq, int xqRow)
{
    const float sink = sinks[blockIdx.x];   // a weight: requested before the wait for the chunks
    TSR_PDL_ENTRY();
    extern __shared__ float tsr_weights[];
    __shared__ float red[4];
    const int tid = threadIdx.x, h = blockIdx.x;
    const long long row = (long long)blockIdx.y * heads + h;   // (t, h)
    const float2* st = stats + row * chunks;
    float* weight = tsr_weights;
    float2* sums = (float2*)(tsr_weights + ((chunks + 1) & ~1));   // 8-byte aligned
    float* out = output + row * d;

    float m = -INFINITY;
    for (int c = tid; c < chunks; c += 128)
    {
        float2 v = st[c];
        if (v.y > 0.f) m = fmaxf(m, v.x);
    }
    m = tsr_block128(m, true, red);
    if (m == -INFINITY)
    {
        unsigned char* qrow = xq + blockIdx.y * (long long)xqRow;
        for (int j = tid; j < d; j += 128)
        {
            out[j] = 0.f;
            if (xq != nullptr)
            {
                qrow[h * d + j] = 0;
                if (j % 32 == 0) reinterpret_cast<float*>(qrow + heads * d)[(h * d + j) >> 5] = 0.f;
            }
        }
        return;
    }

    float l = 0.f;
    for (int c = tid; c < chunks; c += 128)
    {
        float2 v = st[c];
        float w = v.y > 0.f ? expf(v.x - m) : 0.f;
        weight[c] = w;
        l = fmaf(v.y, w, l);
    }
    l = tsr_block128(l, false, red);   // its barriers also publish the weights

    const int U = d >> 1, NG = 128 / U, u = tid % U, g = tid / U;
    const float* acc = partial + row * chunks * d + 2 * u;
    float2 a = make_float2(0.f, 0.f);
    if (g < NG)
    {
#pragma unroll 4
        for (int c = g; c < chunks; c += NG)
        {
            const float w = weight[c];
            if (w != 0.f)
            {
                const float2 p = *(const float2*)(acc + (long long)c * d);
                a.x = fmaf(w, p.x, a.x);
                a.y = fmaf(w, p.y, a.y);
            }
        }
        sums[g * U + u] = a;
    }
    __syncthreads();
    const unsigned mask = __ballot_sync(0xFFFFFFFFu, tid < U);
    if (tid < U)
    {
        const float f = tsr_sink_factor(m, l, sink);
        float2 r = sums[tid];
        for (int gi = 1; gi < NG; gi++)
        {
            const float2 v = sums[gi * U + tid];
            r.x += v.x;
            r.y += v.y;
        }
        const float o0 = r.x * f, o1 = r.y * f;
        out[2 * tid] = o0;
        out[2 * tid + 1] = o1;
        if (xq != nullptr) tsr_att_q8_pair(xq + blockIdx.y * (long long)xqRow, heads * d, h * d + 2 * tid, o0, o1, mask);
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Prefill
// ---------------------------------------------------------------------------------------------------------------------

// One warp per tile of 64 slots: (smallest, largest) position of its used slots, (INT_MAX, −1) when all are empty.
extern "C" __global__ void tsr_attn_tile_summary(const int* __restrict__ kpos, int slots, int2* __restrict__ summary)
{
    TSR_PDL_ENTRY();
    int tile = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    int tiles = (slots + TSR_ATT_TILE - 1) / TSR_ATT_TILE;
    if (tile >= tiles) return;
    int lo = 0x7fffffff, hi = -1;
    for (int s = tile * TSR_ATT_TILE + lane; s < min(slots, (tile + 1) * TSR_ATT_TILE); s += 32)
    {
        int p = kpos[s];
        if (p >= 0)
        {
            lo = min(lo, p);
            hi = max(hi, p);
        }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
    {
        lo = min(lo, __shfl_xor_sync(0xffffffffu, lo, o));
        hi = max(hi, __shfl_xor_sync(0xffffffffu, hi, o));
    }
    if (lane == 0) summary[tile] = make_int2(lo, hi);
}

// Dynamic shared memory: Qs [64 × (D+1)], Ks [64 × (D+1)], Vs [64 × D], Ps [64 × 65] floats.
template <typename TKV, int D>
__device__ __forceinline__ void tsr_attn_prefill(const float* __restrict__ q, const TKV* __restrict__ keys,
                                                 const TKV* __restrict__ values, const int* __restrict__ qpos,
                                                 const int* __restrict__ kpos, int slots, int window,
                                                 const float* __restrict__ sinks, float scale, float* __restrict__ output,
                                                 int heads, int kvHeads, int T, const int2* __restrict__ summary)
{
    constexpr int R = TSR_ATT_TILE, KT = TSR_ATT_TILE, E = TsrKv<TKV>::Per16, L = D / E, PS = KT + 1;
    constexpr int SEG = 2048;   // key tiles per pass over the summary (64 words of flags)
    extern __shared__ float tsr_dyn[];
    __shared__ int rowPos[R], kps[KT];
    __shared__ unsigned flags[SEG / 32];
    __shared__ int qRange[2];
    float* Qs = tsr_dyn;
    float* Ks = Qs + R * (D + 1);
    float* Vs = Ks + KT * (D + 1);
    float* Ps = Vs + KT * D;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int kvh = blockIdx.y, G = heads / kvHeads, QT = R / G, rows = QT * G, t0 = blockIdx.x * QT, width = kvHeads * D;

    // Query rows r = qi·G + g (token t0 + qi, head kvh·G + g), zero rows past the end.
    if (tid == 0)
    {
        qRange[0] = 0x7fffffff;
        qRange[1] = -1;
    }
    __syncthreads();
    if (tid < R)
    {
        int qi = tid / G, t = t0 + qi;
        bool valid = tid < rows && t < T;
        int p = valid ? qpos[t] : -1;
        rowPos[tid] = p;
        if (valid)
        {
            atomicMin(&qRange[0], p);
            atomicMax(&qRange[1], p);
        }
    }
    for (int i = tid; i < R * D; i += blockDim.x)
    {
        int r = i / D, j = i - r * D, qi = r / G, t = t0 + qi;
        float x = 0.f;
        if (r < rows && t < T) x = q[((long long)t * heads + kvh * G + (r - qi * G)) * D + j];
        Qs[r * (D + 1) + j] = x;
    }
    __syncthreads();
    const int qMin = qRange[0], qMax = qRange[1];

    // Per thread: row r = tid / 4, columns part + 4·i of the accumulator; score block rows tr + 16a, columns tc + 16b.
    const int r = tid >> 2, part = tid & 3, tr = tid >> 4, tc = tid & 15;
    float m = -INFINITY, l = 0.f, acc[D / 4];
#pragma unroll
    for (int i = 0; i < D / 4; i++) acc[i] = 0.f;

    const int tiles = (slots + KT - 1) / KT;
    for (int seg = 0; seg < tiles; seg += SEG)
    {
        for (int w = warp; w < SEG / 32; w += blockDim.x >> 5)
        {
            int ti = seg + w * 32 + lane;
            bool use = false;
            if (ti < tiles && qMax >= 0)
            {
                int2 mm = summary[ti];
                use = mm.y >= 0 && mm.x <= qMax && (window == 0 || qMin - mm.y < window);
            }
            unsigned bits = __ballot_sync(0xffffffffu, use);
            if (lane == 0) flags[w] = bits;
        }
        __syncthreads();
        for (int w = 0; w < SEG / 32; w++)
        {
            unsigned bits = flags[w];
            while (bits)
            {
                int bit = __ffs(bits) - 1;
                bits &= bits - 1;
                const int s0 = (seg + w * 32 + bit) * KT, n = min(KT, slots - s0);

                if (tid < KT) kps[tid] = tid < n ? kpos[s0 + tid] : -1;
                __syncthreads();
                for (int i = tid; i < KT * L; i += blockDim.x)
                {
                    int row = i / L, sub = i - row * L;
                    float k[E], v[E];
                    if (kps[row] >= 0)
                    {
                        long long at = (long long)(s0 + row) * width + kvh * D + sub * E;
                        TsrKv<TKV>::Load(keys + at, k);
                        TsrKv<TKV>::Load(values + at, v);
                    }
                    else
                    {
#pragma unroll
                        for (int e = 0; e < E; e++) k[e] = v[e] = 0.f;
                    }
#pragma unroll
                    for (int e = 0; e < E; e++)
                    {
                        Ks[row * (D + 1) + sub * E + e] = k[e];
                        Vs[row * D + sub * E + e] = v[e];
                    }
                }
                __syncthreads();

                // Scores of a 4 × 4 block of (row, key) pairs.
                float s[4][4];
#pragma unroll
                for (int a = 0; a < 4; a++)
#pragma unroll
                    for (int b = 0; b < 4; b++) s[a][b] = 0.f;
#pragma unroll 8
                for (int j = 0; j < D; j++)
                {
                    float qa[4], kb[4];
#pragma unroll
                    for (int a = 0; a < 4; a++) qa[a] = Qs[(tr + 16 * a) * (D + 1) + j];
#pragma unroll
                    for (int b = 0; b < 4; b++) kb[b] = Ks[(tc + 16 * b) * (D + 1) + j];
#pragma unroll
                    for (int a = 0; a < 4; a++)
#pragma unroll
                        for (int b = 0; b < 4; b++) s[a][b] = fmaf(qa[a], kb[b], s[a][b]);
                }
#pragma unroll
                for (int a = 0; a < 4; a++)
                {
                    int qp = rowPos[tr + 16 * a];
#pragma unroll
                    for (int b = 0; b < 4; b++)
                    {
                        int col = tc + 16 * b;
                        Ps[(tr + 16 * a) * PS + col] = tsr_visible(qp, kps[col], window) ? s[a][b] * scale : -INFINITY;
                    }
                }
                __syncthreads();

                // Online softmax of row r over this tile: the row's four threads are neighbours in one warp.
                float* pr = Ps + r * PS + part * 16;
                float tmax = -INFINITY;
#pragma unroll
                for (int i = 0; i < 16; i++) tmax = fmaxf(tmax, pr[i]);
                tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, 1));
                tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, 2));
                float mNew = fmaxf(m, tmax), resc = 1.f, sum = 0.f;
                if (mNew != -INFINITY)
                {
                    resc = m == -INFINITY ? 0.f : expf(m - mNew);
#pragma unroll
                    for (int i = 0; i < 16; i++)
                    {
                        float p = pr[i] == -INFINITY ? 0.f : expf(pr[i] - mNew);
                        pr[i] = p;
                        sum += p;
                    }
                }
                else
                {
#pragma unroll
                    for (int i = 0; i < 16; i++) pr[i] = 0.f;
                }
                sum += __shfl_xor_sync(0xffffffffu, sum, 1);
                sum += __shfl_xor_sync(0xffffffffu, sum, 2);
                m = mNew;
                l = l * resc + sum;
                __syncwarp();

                const float* prow = Ps + r * PS;
#pragma unroll
                for (int i = 0; i < D / 4; i++) acc[i] *= resc;
                for (int cc = 0; cc < KT; cc++)
                {
                    float p = prow[cc];
                    const float* vr = Vs + cc * D + part;
#pragma unroll
                    for (int i = 0; i < D / 4; i++) acc[i] = fmaf(p, vr[4 * i], acc[i]);
                }
                __syncthreads();   // Ks, Vs, Ps, kps free for the next tile
            }
        }
        __syncthreads();   // flags free for the next segment
    }

    const int qi = r / G, t = t0 + qi;
    if (r < rows && t < T)
    {
        int head = kvh * G + (r - qi * G);
        float f = tsr_sink_factor(m, l, sinks[head]);
        float* out = output + ((long long)t * heads + head) * D;
#pragma unroll
        for (int i = 0; i < D / 4; i++) out[part + 4 * i] = acc[i] * f;
    }
}

#define TSR_PREFILL(TYPE, NAME, D)                                                                                           \
    extern "C" __global__ void __launch_bounds__(TSR_ATT_PREFILL_THREADS)                                                    \
    tsr_attn_prefill_##NAME##_d##D(const float* __restrict__ q, const TYPE* __restrict__ keys,                               \
                                   const TYPE* __restrict__ values, const int* __restrict__ qpos,                            \
                                   const int* __restrict__ kpos, int slots, int window, const float* __restrict__ sinks,     \
                                   float scale, float* __restrict__ output, int heads, int kvHeads, int T,                   \
                                   const int2* __restrict__ summary)                                                         \
    {                                                                                                                         \
        TSR_PDL_ENTRY();                                                                                                      \
        tsr_attn_prefill<TYPE, D>(q, keys, values, qpos, kpos, slots, window, sinks, scale, output, heads, kvHeads, T,      \
                                  summary);                                                                                  \
    }

TSR_PREFILL(__half, f16, 16)
TSR_PREFILL(__half, f16, 32)
TSR_PREFILL(__half, f16, 64)
TSR_PREFILL(__half, f16, 128)
TSR_PREFILL(float, f32, 16)
TSR_PREFILL(float, f32, 32)
TSR_PREFILL(float, f32, 64)
TSR_PREFILL(float, f32, 128)

// Launchers of the element-wise, attention and selection kernels (Kernels/elementwise.cu, attention.cu, sample.cu): each
// checks its shapes, picks a kernel and a launch shape, and queues it on the stream. Nothing here reads device memory,
// allocates or synchronises, so every launcher can be captured in a CUDA graph; scratch comes from the caller, sized by
// the *ScratchBytes functions.

using Tessera.Quants;

namespace Tessera.Backends.Cuda;

internal sealed partial class CudaKernels
{
    private const string Elementwise = "elementwise", AttentionModule = "attention", Sample = "sample";

    /// <summary>Query rows up to which <see cref="Attention"/> runs flash-decoding (chunks of slots over blocks, then a
    /// combine); above it, flash attention over tiles of query rows. Decoding re-reads the cache once per row, so it pays
    /// only for a few rows; its scratch grows with the rows.</summary>
    public const int AttentionDecodeMaxRows = 8;

    // Tokens per block of the fused router (TSR_ROUTE_TOKENS).
    private const int RouteTokensPerBlock = 4;

    // Heads (warps) per block of the RoPE kernels.
    private const int RopeHeadsPerBlock = 4;

    // Slots per tile of the decode kernel (a lane per slot in its softmax).
    private const int DecodeTile = 32;

    // Chunks per kv head the decode kernel aims at (DecodeChunk); overridable by TESSERA_CUDA_DECODE_CHUNKS for tuning.
    private static readonly int DecodeMaxChunks =
        int.TryParse(Environment.GetEnvironmentVariable("TESSERA_CUDA_DECODE_CHUNKS"), out int n) && n is >= 1 and <= 4096 ? n : 80;

    // Chunks per kv head of the tensor-core decode (DecodeMmaChunk); TESSERA_CUDA_DECODE_MMA_CHUNKS overrides it for tuning.
    private static readonly int DecodeMmaMaxChunks =
        int.TryParse(Environment.GetEnvironmentVariable("TESSERA_CUDA_DECODE_MMA_CHUNKS"), out int m) && m is >= 1 and <= 4096 ? m : 48;

    // Slots up to which the tensor-core decode runs the cache as one chunk per kv head and finishes the rows itself (no
    // combine kernel); TESSERA_CUDA_DECODE_ONE_CHUNK overrides it (0: always chunks and a combine).
    private static readonly int DecodeMmaOneChunkSlots =
        int.TryParse(Environment.GetEnvironmentVariable("TESSERA_CUDA_DECODE_ONE_CHUNK"), out int w) && w is >= 0 and <= 65536 ? w : 256;

    /// <summary>Whether the tensor-core decode of full attention over a cache that holds position p in slot p mod slots walks
    /// only the slots up to each query's position, the chunks sized for them on the device (TESSERA_CUDA_PREFIX_SLOTS=0:
    /// every slot).</summary>
    public bool PrefixSlots { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_PREFIX_SLOTS") is not "0";

    /// <summary>Whether the tensor-core decode requests each warp's first keys and values before it waits for the kernel
    /// before it (programmatic launch; the keys of the batch's own positions again after the wait; the same bits).
    /// TESSERA_CUDA_ATTN_EARLY=0: after the wait.</summary>
    public bool EarlyAttentionLoads { get; set; } = EarlyAttentionTiles > 0;

    // Tiles of 16 keys a warp of the tensor-core decode requests before the wait (TESSERA_CUDA_ATTN_EARLY: 0, 1 or 2).
    private static readonly int EarlyAttentionTiles =
        int.TryParse(Environment.GetEnvironmentVariable("TESSERA_CUDA_ATTN_EARLY"), out int e) && e is >= 0 and <= 2 ? e : 2;

    /// <summary>Whether the tensor-core decode of a sliding window over a cache that holds position p in slot p mod slots
    /// walks only the window's slots (TESSERA_CUDA_WINDOW_SLOTS=0: every slot of the cache, in chunks, then the combine).</summary>
    public bool WindowSlots { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_WINDOW_SLOTS") is not "0";

    /// <summary>Whether decode attention over an F16 cache with 64-wide heads runs on tensor cores
    /// (tsr_attn_decode_mma_f16_d64; TESSERA_CUDA_ATTN_MMA=0: the CUDA-core kernel for every shape).</summary>
    public bool TensorCoreDecode { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_ATTN_MMA") is not "0";

    private const int AttentionTile = 64, AttentionMaxGroup = 16, DecodeThreads = 128, PrefillThreads = 256;

    /// <summary>RMSNorm of each of <paramref name="T"/> rows of <paramref name="n"/>: y[t] = x[t] / sqrt(mean(x[t]²) + eps) · w.
    /// <paramref name="y"/> may equal <paramref name="x"/>. One block per row: with 16-byte aligned pointers and n a multiple
    /// of 4, a thread per four values (up to 1,024 threads) and a float sum; otherwise the scalar kernel (double sum).</summary>
    public void RmsNorm(CudaStream s, ulong x, ulong weight, ulong y, int n, float eps, int T)
    {
        RequirePositive(n, nameof(n));
        RequirePositive(T, nameof(T));
        if (((x | weight | y) & 15) == 0 && n % 4 == 0)
        {
            int threads = Math.Clamp((n / 4 + 31) / 32 * 32, 32, 1024);
            s.Launch(F(Elementwise, "tsr_rmsnorm4"), T, threads, 0,
                [KernelArg.Ptr(x), KernelArg.Ptr(weight), KernelArg.Ptr(y), KernelArg.I32(n / 4), KernelArg.F32(eps)]);
            return;
        }
        s.Launch(F(Elementwise, "tsr_rmsnorm"), T, n >= 1024 ? 512 : 256, 0,
            [KernelArg.Ptr(x), KernelArg.Ptr(weight), KernelArg.Ptr(y), KernelArg.I32(n), KernelArg.F32(eps)]);
    }

    /// <summary>x += addend over <paramref name="n"/> floats (16-byte accesses when both are aligned and n is a multiple of 4).</summary>
    public void Add(CudaStream s, ulong x, ulong addend, long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return;
        if (((x | addend) & 15) == 0 && n % 4 == 0)
            s.Launch(F(Elementwise, "tsr_add4"), new Dim3(GridStride(n / 4)), 256, 0, [KernelArg.Ptr(x), KernelArg.Ptr(addend), KernelArg.I64(n / 4)]);
        else
            s.Launch(F(Elementwise, "tsr_add"), new Dim3(GridStride(n)), 256, 0, [KernelArg.Ptr(x), KernelArg.Ptr(addend), KernelArg.I64(n)]);
    }

    /// <summary>x[t·n + i] += bias[i] for <paramref name="T"/> rows.</summary>
    public void AddBias(CudaStream s, ulong x, ulong bias, int n, int T)
    {
        RequirePositive(n, nameof(n));
        RequireGridY(T, nameof(T));
        s.Launch(F(Elementwise, "tsr_add_bias"), new Dim3(Blocks(n, 256), (uint)T), 256, 0,
            [KernelArg.Ptr(x), KernelArg.Ptr(bias), KernelArg.I32(n)]);
    }

    /// <summary>x[q·n + i] += bias[ids[q]·n + i] for <paramref name="slots"/> expert slots (ids int32 on the device).</summary>
    public void AddExpertBias(CudaStream s, ulong x, ulong bias, ulong ids, int n, int slots)
    {
        RequirePositive(n, nameof(n));
        RequireGridY(slots, nameof(slots));
        s.Launch(F(Elementwise, "tsr_add_expert_bias"), new Dim3(Blocks(n, 256), (uint)slots), 256, 0,
            [KernelArg.Ptr(x), KernelArg.Ptr(bias), KernelArg.Ptr(ids), KernelArg.I32(n)]);
    }

    /// <summary>output[i] = map[ids[i]] for ids inside [0, <paramref name="experts"/>), else −1, over n ids.</summary>
    public void RemapIds(CudaStream s, ulong ids, ulong map, ulong output, int n, int experts)
    {
        if (n <= 0) return;
        s.Launch(F(Elementwise, "tsr_remap_ids"), new Dim3(Blocks(n, 256)), 256, 0,
            [KernelArg.Ptr(ids), KernelArg.Ptr(map), KernelArg.Ptr(output), KernelArg.I32(n), KernelArg.I32(experts)]);
    }

    /// <summary>y = swiglu_oai(gate, up) over <paramref name="n"/> floats: g·σ(α·g)·(u + 1) with g = min(gate, limit) and
    /// u = clamp(up, −limit, limit).</summary>
    public void SwiGlu(CudaStream s, ulong gate, ulong up, ulong y, long n, float alpha, float limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return;
        s.Launch(F(Elementwise, "tsr_swiglu"), new Dim3(GridStride(n)), 256, 0,
            [KernelArg.Ptr(gate), KernelArg.Ptr(up), KernelArg.Ptr(y), KernelArg.I64(n), KernelArg.F32(alpha), KernelArg.F32(limit)]);
    }

    /// <summary>out[t·n + i] = Σ_j w[t·k + j]·ex[(t·k + j)·n + i], summed in slot order with each product rounded.</summary>
    public void WeightedSum(CudaStream s, ulong experts, ulong weights, ulong output, int n, int T, int k)
    {
        RequirePositive(n, nameof(n));
        RequirePositive(k, nameof(k));
        RequireGridY(T, nameof(T));
        s.Launch(F(Elementwise, "tsr_weighted_sum"), new Dim3(Blocks(n, 256), (uint)T), 256, 0,
            [KernelArg.Ptr(experts), KernelArg.Ptr(weights), KernelArg.Ptr(output), KernelArg.I32(n), KernelArg.I32(k)]);
    }

    /// <summary>NEOX RoPE in place on every head of x[t] ([T × heads·d]) at positions[t] (int32 on the device), from a table
    /// [maxPositions × d] of interleaved cos·m, sin·m per pair. A warp per head (the RopeStore kernel with no kv heads).</summary>
    public void Rope(CudaStream s, ulong x, ulong positions, ulong table, int heads, int d, int T)
    {
        RequireHeadSize(d, even: true);
        RequirePositive(heads, nameof(heads));
        RequireGridY(T, nameof(T));
        s.Launch(F(Elementwise, "tsr_rope_store_heads"), new Dim3(Blocks(heads, RopeHeadsPerBlock), (uint)T), 32 * RopeHeadsPerBlock, 0,
        [
            KernelArg.Ptr(x), KernelArg.Ptr(0), KernelArg.Ptr(0), KernelArg.Ptr(positions), KernelArg.Ptr(table), KernelArg.I32(heads),
            KernelArg.I32(0), KernelArg.I32(d), KernelArg.Ptr(0), KernelArg.Ptr(0), KernelArg.Ptr(0), KernelArg.I32(0),
        ]);
    }

    /// <summary>RoPE on q [T × qHeads·d] and k [T × kvHeads·d] in place, then cache row slots[t] ← k[t] (roped) and v[t],
    /// as F16 (round to nearest) when <paramref name="f16"/>, else F32. One launch: grid (head groups, T), a warp per q or
    /// kv head.</summary>
    public void RopeStore(CudaStream s, ulong q, ulong k, ulong v, ulong positions, ulong table, int qHeads, int kvHeads, int d, int T,
        ulong keyCache, ulong valueCache, ulong slots, bool f16)
    {
        RequireHeadSize(d, even: true);
        RequirePositive(qHeads, nameof(qHeads));
        RequirePositive(kvHeads, nameof(kvHeads));
        RequireGridY(T, nameof(T));
        s.Launch(F(Elementwise, "tsr_rope_store_heads"), new Dim3(Blocks(qHeads + kvHeads, RopeHeadsPerBlock), (uint)T),
            32 * RopeHeadsPerBlock, 0,
        [
            KernelArg.Ptr(q), KernelArg.Ptr(k), KernelArg.Ptr(v), KernelArg.Ptr(positions), KernelArg.Ptr(table), KernelArg.I32(qHeads),
            KernelArg.I32(kvHeads), KernelArg.I32(d), KernelArg.Ptr(keyCache), KernelArg.Ptr(valueCache), KernelArg.Ptr(slots),
            KernelArg.I32(f16 ? 1 : 0),
        ]);
    }

    /// <summary>destination row rows[t] ← source row t (F32, n values), stored as F16 when <paramref name="f16"/>.</summary>
    public void SetRows(CudaStream s, ulong source, ulong destination, ulong rows, int n, int T, bool f16)
    {
        RequirePositive(n, nameof(n));
        RequireGridY(T, nameof(T));
        s.Launch(F(Elementwise, "tsr_set_rows"), new Dim3(Blocks(n, 256), (uint)T), 256, 0,
            [KernelArg.Ptr(source), KernelArg.Ptr(destination), KernelArg.Ptr(rows), KernelArg.I32(n), KernelArg.I32(f16 ? 1 : 0)]);
    }

    /// <summary>Embedding lookup: destination[t·K ..] = dequantised row rows[t] of slice 0 of <paramref name="table"/>.</summary>
    public void GetRows(CudaStream s, in CudaWeightView table, ulong rows, ulong destination, int T)
    {
        int K = table.K;
        RequirePositive(K, "table.K");
        RequireGridY(T, nameof(T));
        var grid = new Dim3(Blocks(K, 256), (uint)T);
        switch (table.Type)
        {
            case GgmlType.F32:
                s.Launch(F(Elementwise, "tsr_get_rows_f32"), grid, 256, 0,
                    [KernelArg.Ptr(table.Values), KernelArg.Ptr(rows), KernelArg.Ptr(destination), KernelArg.I32(K)]);
                break;
            case GgmlType.F16:
                s.Launch(F(Elementwise, "tsr_get_rows_f16"), grid, 256, 0,
                    [KernelArg.Ptr(table.Values), KernelArg.Ptr(rows), KernelArg.Ptr(destination), KernelArg.I32(K)]);
                break;
            case GgmlType.Q8_0 or GgmlType.MXFP4:
                if (K % 32 != 0) throw new ArgumentException($"a {table.Type} table needs rows of a multiple of 32 values, not {K}");
                s.Launch(F(Elementwise, table.Type == GgmlType.Q8_0 ? "tsr_get_rows_q8_0" : "tsr_get_rows_mxfp4"), grid, 256, 0,
                    [KernelArg.Ptr(table.Values), KernelArg.Ptr(table.Scales), KernelArg.Ptr(rows), KernelArg.Ptr(destination), KernelArg.I32(K)]);
                break;
            default:
                throw new NotSupportedException($"GetRows on the GPU reads F32, F16, Q8_0 or MXFP4 tables, not {table.Type}");
        }
    }

    /// <summary>Embedding lookup from a table laid out as the GGUF file stores it (F32, F16, or Q8_0 and MXFP4 blocks of 34
    /// and 17 bytes), at <paramref name="table"/> (host memory the kernel reads over the bus): destination[t·K ..] =
    /// dequantised row rows[t].</summary>
    public void GetRowsFromFile(CudaStream s, GgmlType type, ulong table, int K, ulong rows, ulong destination, int T)
    {
        RequirePositive(K, nameof(K));
        RequireGridY(T, nameof(T));
        var grid = new Dim3(Blocks(K, 256), (uint)T);
        string kernel = type switch
        {
            GgmlType.F32 => "tsr_get_rows_f32",
            GgmlType.F16 => "tsr_get_rows_f16",
            GgmlType.Q8_0 => "tsr_get_rows_q8_0_blocks",
            GgmlType.MXFP4 => "tsr_get_rows_mxfp4_blocks",
            _ => throw new NotSupportedException($"GetRows reads F32, F16, Q8_0 or MXFP4 tables in host memory, not {type}"),
        };
        if (type is GgmlType.Q8_0 or GgmlType.MXFP4 && K % 32 != 0)
            throw new ArgumentException($"a {type} table needs rows of a multiple of 32 values, not {K}");
        s.Launch(F(Elementwise, kernel), grid, 256, 0, [KernelArg.Ptr(table), KernelArg.Ptr(rows), KernelArg.Ptr(destination), KernelArg.I32(K)]);
    }

    /// <summary>Attention with sinks over the KV cache (IBackend.Attention): q [T × heads·d] F32; keys/values
    /// [slots × kvHeads·d] F16 or F32; qpos [T] and kpos [slots] int32 (kpos −1: empty). Up to
    /// <see cref="AttentionDecodeMaxRows"/> rows: flash-decoding over chunks of slots (chunks with nothing visible cost a
    /// read of their positions), then a combine that adds the sink (a cache of up to 256 slots decoded on tensor cores: one
    /// chunk, whose kernel adds the sink itself); above: a tile summary of the positions, then flash
    /// attention over blocks of query rows. Head sizes 16, 32, 64, 128; up to 16 query heads per kv head.</summary>
    /// <remarks><paramref name="quants"/> (<see cref="ActQuantBytes"/> of T rows of heads·d, 0: none): the decode path's
    /// last kernel (the combine, or the one-chunk decode) also leaves the output quantised for a Q8_0 product of the integer path (<see cref="QuantiseAttentionOnce"/>),
    /// which <see cref="MatVecRoute"/> then copies. <paramref name="slotsByPosition"/> (position p only ever in slot p mod
    /// slots): the tensor-core decode of a window shorter than the cache walks only the window's slots behind each query
    /// (<see cref="WindowSlots"/>), as a cache of window slots: up to 256, one chunk and no combine; full attention walks
    /// only the slots up to each query's position (<see cref="PrefixSlots"/>).</remarks>
    public void Attention(CudaStream s, ulong q, ulong keys, ulong values, bool f16, ulong qpos, ulong kpos, int slots, int window,
        ulong sinks, float scale, ulong output, int heads, int kvHeads, int d, int T, ulong scratch, ulong quants = 0,
        bool slotsByPosition = false)
    {
        RequireAttentionShape(heads, kvHeads, d);
        RequirePositive(T, nameof(T));
        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        int group = heads / kvHeads;
        string type = f16 ? "f16" : "f32";
        // The decode's last kernel quantises a head's values in blocks of 32 (d a multiple of 32).
        if (!(QuantiseAttentionOnce && IntegerMatVec && T <= AttentionDecodeMaxRows && d % 32 == 0)) quants = 0;
        _attention = (s, 0, output, quants, heads * d);
        if (T <= AttentionDecodeMaxRows && TensorCoreDecode && f16 && d == 64)
        {
            // One block of 4 warps per chunk and kv head for all the head's queries (the rows of an mma tile). A small cache
            // is one chunk, whose block also adds the sink and writes the output (no combine). A window over a ring is walked
            // as a cache of `window` slots starting at the oldest position it can see.
            int span = slotsByPosition && WindowSlots && window > 0 && window < slots ? window
                : slotsByPosition && PrefixSlots && window == 0 ? -1 : 0;
            int walked = span > 0 ? span : slots;   // the most a prefix walk (span −1) takes
            bool whole = walked <= DecodeMmaOneChunkSlots;
            int chunk = whole ? Math.Max(walked, 1) : DecodeMmaChunk(walked), chunks = Math.Max(1, (walked + chunk - 1) / chunk);
            ulong stats = scratch, partial = scratch + (ulong)Align256((long)T * heads * chunks * 8);
            s.Launch(F(AttentionModule, "tsr_attn_decode_mma_f16_d64"), new Dim3((uint)chunks, (uint)kvHeads, (uint)T), DecodeThreads, 0,
            [
                KernelArg.Ptr(q), KernelArg.Ptr(keys), KernelArg.Ptr(values), KernelArg.Ptr(qpos), KernelArg.Ptr(kpos), KernelArg.I32(slots),
                KernelArg.I32(window), KernelArg.F32(scale), KernelArg.I32(heads), KernelArg.I32(kvHeads), KernelArg.I32(chunk),
                KernelArg.Ptr(stats), KernelArg.Ptr(partial), KernelArg.Ptr(sinks), KernelArg.Ptr(whole ? output : 0),
                KernelArg.Ptr(whole ? quants : 0), KernelArg.I32((int)ActQuantBytes(1, heads * d)), KernelArg.I32(span),
                KernelArg.I32(EarlyAttentionLoads ? EarlyAttentionTiles : 0),
            ]);
            if (whole) _attention.At = s.Submitted;
            else Combine(s, stats, partial, sinks, output, heads, d, chunks, T, quants);
            return;
        }
        if (T <= AttentionDecodeMaxRows)
        {
            int chunk = DecodeChunk(slots), chunks = DecodeChunks(slots);
            // Query heads per block: all of the group, halved while the grid has fewer than 256 blocks (small caches: the
            // chunks' keys and values are then read by several blocks, from L2).
            int perBlock = group;
            while (perBlock % 2 == 0 && (long)chunks * kvHeads * (group / perBlock) * T < 256) perBlock /= 2;
            ulong stats = scratch, partial = scratch + (ulong)Align256((long)T * heads * chunks * 8);
            int shared = (perBlock * d + perBlock * DecodeTile + DecodeThreads * 2 * perBlock) * sizeof(float);
            s.Launch(F(AttentionModule, $"tsr_attn_decode_{type}_d{d}"), new Dim3((uint)chunks, (uint)(kvHeads * (group / perBlock)), (uint)T),
                DecodeThreads, shared,
            [
                KernelArg.Ptr(q), KernelArg.Ptr(keys), KernelArg.Ptr(values), KernelArg.Ptr(qpos), KernelArg.Ptr(kpos), KernelArg.I32(slots),
                KernelArg.I32(window), KernelArg.F32(scale), KernelArg.I32(heads), KernelArg.I32(kvHeads), KernelArg.I32(chunk),
                KernelArg.I32(perBlock), KernelArg.Ptr(stats), KernelArg.Ptr(partial),
            ]);
            Combine(s, stats, partial, sinks, output, heads, d, chunks, T, quants);
            return;
        }

        int tiles = (slots + AttentionTile - 1) / AttentionTile;
        s.Launch(F(AttentionModule, "tsr_attn_tile_summary"), new Dim3(Blocks(tiles, 8)), 256, 0,
            [KernelArg.Ptr(kpos), KernelArg.I32(slots), KernelArg.Ptr(scratch)]);
        int queriesPerBlock = AttentionTile / group;
        int prefillShared = (2 * AttentionTile * (d + 1) + AttentionTile * d + AttentionTile * (AttentionTile + 1)) * sizeof(float);
        _attention = default;
        s.Launch(F(AttentionModule, $"tsr_attn_prefill_{type}_d{d}"), new Dim3(Blocks(T, queriesPerBlock), (uint)kvHeads), PrefillThreads,
            prefillShared,
        [
            KernelArg.Ptr(q), KernelArg.Ptr(keys), KernelArg.Ptr(values), KernelArg.Ptr(qpos), KernelArg.Ptr(kpos), KernelArg.I32(slots),
            KernelArg.I32(window), KernelArg.Ptr(sinks), KernelArg.F32(scale), KernelArg.Ptr(output), KernelArg.I32(heads),
            KernelArg.I32(kvHeads), KernelArg.I32(T), KernelArg.Ptr(scratch),
        ]);
    }

    // Decode's second kernel: the chunks of each query head merged, and the sink added (and the rows quantised, quants ≠ 0).
    private void Combine(CudaStream s, ulong stats, ulong partial, ulong sinks, ulong output, int heads, int d, int chunks, int T, ulong quants)
    {
        s.Launch(F(AttentionModule, "tsr_attn_combine"), new Dim3((uint)heads, (uint)T), 128, ((chunks + 1) / 2 * 2 + 256) * sizeof(float),
        [
            KernelArg.Ptr(stats), KernelArg.Ptr(partial), KernelArg.Ptr(sinks), KernelArg.Ptr(output), KernelArg.I32(heads),
            KernelArg.I32(d), KernelArg.I32(chunks), KernelArg.Ptr(quants), KernelArg.I32((int)ActQuantBytes(1, heads * d)),
        ]);
        _attention.At = s.Submitted;
    }

    /// <summary>Bytes of scratch <see cref="Attention"/> needs for up to <paramref name="T"/> rows over a cache of
    /// <paramref name="slots"/> (covers every smaller T too): the decode partials for min(T, 8) rows, or the prefill tile
    /// summary, whichever is larger.</summary>
    public static long AttentionScratchBytes(int heads, int d, int T, int slots)
    {
        long rows = Math.Clamp(T, 1, AttentionDecodeMaxRows);
        // The tensor-core decode of any n ≤ slots keys (a window's walk too) has at most min(48, ⌈n / 64⌉) chunks.
        long chunks = Math.Max(DecodeChunks(slots), Math.Min(DecodeMmaMaxChunks, (slots + 63) / 64));
        long decode = Align256(rows * heads * chunks * 8) + Align256(rows * heads * chunks * d * sizeof(float));
        long summary = Align256(((long)slots + AttentionTile - 1) / AttentionTile * 8);
        return Math.Max(256, Math.Max(decode, summary));
    }

    /// <summary>Router: for each row of logits [T × E] (E ≤ 256) the k (≤ 8) largest, descending (ties: lower index first),
    /// into ids [T × k] int32, and their softmax into weights [T × k]. A warp per row.</summary>
    public void TopKSoftmax(CudaStream s, ulong logits, ulong ids, ulong weights, int E, int k, int T)
    {
        if (E < 1 || E > 256) throw new ArgumentOutOfRangeException(nameof(E), E, "the GPU router takes 1 to 256 experts");
        if (k < 1 || k > 8 || k > E) throw new ArgumentOutOfRangeException(nameof(k), k, $"the GPU router picks 1 to min(8, {E}) experts");
        RequirePositive(T, nameof(T));
        s.Launch(F(Sample, "tsr_topk_softmax"), new Dim3(Blocks(T, 4)), 128, 0,
            [KernelArg.Ptr(logits), KernelArg.Ptr(ids), KernelArg.Ptr(weights), KernelArg.I32(E), KernelArg.I32(k), KernelArg.I32(T)]);
    }

    /// <summary>Fused router: logits[t·E + e] = W[e]·x[t] + bias[e] (W F32 [E × K] at <paramref name="weightF32"/>, bias
    /// F32 [E] or 0 for none), then the top-k + softmax of <see cref="TopKSoftmax"/> over those logits into ids [T × k] and
    /// weights [T × k], in one launch: a block of 1,024 threads per group of up to four tokens, a warp per weight row, one
    /// warp per token for the top-k. K a multiple of 4, W and x 16-byte aligned.</summary>
    public void RouteTopK(CudaStream s, ulong weightF32, ulong bias, ulong x, ulong logits, ulong ids, ulong weights, int K, int E, int k, int T)
    {
        if (E < 1 || E > 256) throw new ArgumentOutOfRangeException(nameof(E), E, "the GPU router takes 1 to 256 experts");
        if (k < 1 || k > 8 || k > E) throw new ArgumentOutOfRangeException(nameof(k), k, $"the GPU router picks 1 to min(8, {E}) experts");
        RequirePositive(K, nameof(K));
        RequirePositive(T, nameof(T));
        if (K % 4 != 0 || ((weightF32 | x) & 15) != 0)
            throw new ArgumentException($"the fused router reads rows of a multiple of 4 floats (K = {K}) from 16-byte aligned weights and inputs");
        s.Launch(F(Sample, "tsr_route_topk"), new Dim3(Blocks(T, RouteTokensPerBlock)), 1024, 0,
        [
            KernelArg.Ptr(weightF32), KernelArg.Ptr(bias), KernelArg.Ptr(x), KernelArg.Ptr(logits), KernelArg.Ptr(ids), KernelArg.Ptr(weights),
            KernelArg.I32(K), KernelArg.I32(E), KernelArg.I32(k), KernelArg.I32(T),
        ]);
    }

    /// <summary>Greedy sampling: result[row] (int32) = index of the largest of logits[row·n ..] (ties: lowest index; NaN never
    /// wins; −1 for a row of NaN only). Blocks over slices of each row, then one block per row over their results.</summary>
    public void Argmax(CudaStream s, ulong logits, int n, int rows, ulong result, ulong scratch)
    {
        RequirePositive(n, nameof(n));
        RequireGridY(rows, nameof(rows));
        int blocks = ArgmaxBlocks(n), slice = (n + blocks - 1) / blocks;
        s.Launch(F(Sample, "tsr_argmax_blocks"), new Dim3((uint)blocks, (uint)rows), 256, 0,
            [KernelArg.Ptr(logits), KernelArg.I32(n), KernelArg.I32(slice), KernelArg.Ptr(scratch)]);
        s.Launch(F(Sample, "tsr_argmax_final"), rows, 128, 0, [KernelArg.Ptr(scratch), KernelArg.I32(blocks), KernelArg.Ptr(result)]);
    }

    /// <summary>Bytes of scratch <see cref="Argmax"/> needs.</summary>
    public static long ArgmaxScratchBytes(int n, int rows) => Math.Max(256, Align256((long)ArgmaxBlocks(n) * Math.Max(rows, 1) * 8));

    /// <summary>The <paramref name="K"/> (≤ 256, ≤ n) largest of one row of <paramref name="n"/> logits, sorted descending
    /// (ties: lower index first; NaN skipped, leaving −1 ids and −∞ values at the end if fewer than K remain), as values
    /// and int32 ids. Blocks keep the K best of their slices, then one block merges them.</summary>
    public void TopKCandidates(CudaStream s, ulong logits, int n, int K, ulong values, ulong ids, ulong scratch)
    {
        RequirePositive(n, nameof(n));
        if (K < 1 || K > 256 || K > n) throw new ArgumentOutOfRangeException(nameof(K), K, $"TopKCandidates keeps 1 to min(256, {n}) logits");
        int blocks = TopKBlocks(n, K), slice = (n + blocks - 1) / blocks;
        if (blocks == 1)
        {
            s.Launch(F(Sample, "tsr_topk_blocks"), 1, 1024, 0,
                [KernelArg.Ptr(logits), KernelArg.I32(n), KernelArg.I32(slice), KernelArg.I32(K), KernelArg.Ptr(values), KernelArg.Ptr(ids)]);
            return;
        }
        ulong candV = scratch, candI = scratch + (ulong)Align256((long)blocks * K * sizeof(float));
        s.Launch(F(Sample, "tsr_topk_blocks"), blocks, 1024, 0,
            [KernelArg.Ptr(logits), KernelArg.I32(n), KernelArg.I32(slice), KernelArg.I32(K), KernelArg.Ptr(candV), KernelArg.Ptr(candI)]);
        s.Launch(F(Sample, "tsr_topk_final"), 1, 1024, 0,
            [KernelArg.Ptr(candV), KernelArg.Ptr(candI), KernelArg.I32(blocks * K), KernelArg.I32(K), KernelArg.Ptr(values), KernelArg.Ptr(ids)]);
    }

    /// <summary>Sampling at <paramref name="temperature"/> (&gt; 0) with top-k, top-p and min-p (0, 1 and 0 turn them off) from
    /// one row of <paramref name="n"/> logits with the draw <paramref name="u"/> ∈ [0, 1), as Inference.Sampler does without
    /// bias and penalties: result (int32) = the token, or −1 where the host must decide (see sample.cu). The slices' maxima,
    /// then without a filter their sums at the temperature and a draw over the whole row; with any, the K best candidates
    /// (top-k's own when it keeps at most 256, else 256), for top-p without such a top-k the sums at temperature 1, and the
    /// filters and the draw over the candidates. <paramref name="lnMinP"/> is the host's MathF.Log(minP), so that both
    /// compute min-p's threshold alike.</summary>
    public void SampleToken(CudaStream s, ulong logits, int n, float temperature, int topK, float topP, float minP, float lnMinP,
        double u, ulong result, ulong scratch)
    {
        RequirePositive(n, nameof(n));
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "sampling on the GPU takes a finite temperature above 0 (0 is Argmax)");
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "top-p is in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw new ArgumentOutOfRangeException(nameof(minP), minP, "min-p is in [0, 1]");
        if (!(u >= 0 && u < 1)) throw new ArgumentOutOfRangeException(nameof(u), u, "the draw is in [0, 1)");
        int blocks = ArgmaxBlocks(n), slice = (n + blocks - 1) / blocks;
        ulong maxima = scratch, sums = maxima + (ulong)Align256(blocks * 8L), candidates = sums + (ulong)Align256(blocks * 8L);
        s.Launch(F(Sample, "tsr_sample_max"), blocks, SampleSliceThreads, 0,
            [KernelArg.Ptr(logits), KernelArg.I32(n), KernelArg.I32(slice), KernelArg.Ptr(maxima)]);
        if (!((topK > 0 && topK < n) || topP < 1 || minP > 0))
        {
            Sums(temperature);
            s.Launch(F(Sample, "tsr_sample_draw"), 1, SampleDrawThreads, 0,
            [
                KernelArg.Ptr(logits), KernelArg.I32(n), KernelArg.I32(slice), KernelArg.Ptr(maxima), KernelArg.Ptr(sums),
                KernelArg.I32(blocks), KernelArg.F32(temperature), KernelArg.F64(u), KernelArg.Ptr(result),
            ]);
            return;
        }
        int K = SampleCandidates(n, topK);
        // Top-p's total is the whole row's unless the candidates hold the whole top-k set.
        bool whole = topP < 1 && K < n && !(topK > 0 && topK <= K);
        if (whole) Sums(1f);
        ulong values = candidates, ids = values + (ulong)Align256(K * sizeof(float));
        TopKCandidates(s, logits, n, K, values, ids, ids + (ulong)Align256(K * sizeof(int)));
        s.Launch(F(Sample, "tsr_sample_truncated"), 1, MaxSampleCandidates, 0,
        [
            KernelArg.Ptr(values), KernelArg.Ptr(ids), KernelArg.I32(K), KernelArg.I32(n), KernelArg.Ptr(maxima),
            KernelArg.Ptr(whole ? sums : 0), KernelArg.I32(blocks), KernelArg.F32(temperature), KernelArg.I32(topK),
            KernelArg.F32(topP), KernelArg.I32(minP > 0 ? 1 : 0), KernelArg.F32(lnMinP), KernelArg.F64(u), KernelArg.Ptr(result),
        ]);

        void Sums(float t) => s.Launch(F(Sample, "tsr_sample_sums"), blocks, SampleSliceThreads, 0,
            [KernelArg.Ptr(logits), KernelArg.I32(n), KernelArg.I32(slice), KernelArg.Ptr(maxima), KernelArg.I32(blocks), KernelArg.F32(t), KernelArg.Ptr(sums)]);
    }

    /// <summary>Bytes of scratch <see cref="SampleToken"/> needs for a row of <paramref name="n"/> logits, whatever the settings.</summary>
    public static long SampleTokenScratchBytes(int n) =>
        2 * Align256(ArgmaxBlocks(n) * 8L) + Align256(MaxSampleCandidates * sizeof(float)) + Align256(MaxSampleCandidates * sizeof(int))
        + 2 * Align256(4096 * sizeof(float));   // TopKCandidates: at most 4,096 candidates from its blocks (TopKBlocks)

    /// <summary>The candidates <see cref="SampleToken"/> looks at: top-k's own when it keeps at most 256, else the 256 best
    /// (all of a shorter row).</summary>
    public static int SampleCandidates(int n, int topK) => Math.Min(n, topK is > 0 and <= MaxSampleCandidates ? topK : MaxSampleCandidates);

    /// <summary>Bytes of scratch <see cref="TopKCandidates"/> needs.</summary>
    public static long TopKCandidatesScratchBytes(int n, int K)
    {
        long candidates = (long)TopKBlocks(Math.Max(n, 1), Math.Clamp(K, 1, 256)) * Math.Clamp(K, 1, 256);
        return Align256(candidates * sizeof(float)) + Align256(candidates * sizeof(int));
    }

    // Slots per decode chunk: a power of two from 32 (one tile) to 1024, so that a kv head has at most DecodeMaxChunks
    // chunks up to 1024 · DecodeMaxChunks slots (an empty chunk costs a block that reads its positions; a full one walks
    // chunk/32 tiles, loading each tile while the one before is computed, and its partial sums are re-read by the combine).
    // 80 chunks of 8 kv heads are 640 blocks, about one wave of 4 blocks on each of an H200's 132 SMs.
    private static int DecodeChunk(int slots)
    {
        int chunk = DecodeTile;
        while (chunk < 1024 && (long)chunk * DecodeMaxChunks < slots) chunk *= 2;
        return chunk;
    }

    // Slots per chunk of the tensor-core decode: a multiple of its 16-key tiles, at least 64 (a tile per warp), so that a kv
    // head has at most DecodeMmaMaxChunks chunks: 48 chunks of 8 kv heads are 384 blocks, about one wave of three blocks on
    // each of an H200's 132 SMs.
    private static int DecodeMmaChunk(int slots) => Math.Max(64, ((slots + DecodeMmaMaxChunks - 1) / DecodeMmaMaxChunks + 15) / 16 * 16);

    // Decode chunks of a cache of `slots` (one, all empty, for no slots).
    private static int DecodeChunks(int slots) => Math.Max(1, (slots + DecodeChunk(slots) - 1) / DecodeChunk(slots));

    // Threads of the sampling kernels (TSR_SAMPLE_*) and the most candidates the truncated draw takes (its threads).
    private const int SampleSliceThreads = 256, SampleDrawThreads = 1024, MaxSampleCandidates = 256;

    // Argmax blocks per row (and the sampling kernels' slices): slices of about 2,048 logits, at most 128 blocks.
    private static int ArgmaxBlocks(int n) => Math.Clamp((n + 2047) / 2048, 1, 128);

    // Top-K blocks: slices of about 4,096 logits, with at most 4,096 candidates for the final block.
    private static int TopKBlocks(int n, int K) => Math.Clamp((n + 4095) / 4096, 1, Math.Max(1, 4096 / K));

    private static void RequireAttentionShape(int heads, int kvHeads, int d)
    {
        if (d is not (16 or 32 or 64 or 128))
            throw new NotSupportedException($"GPU attention takes head sizes 16, 32, 64 or 128, not {d}");
        RequirePositive(kvHeads, nameof(kvHeads));
        if (heads < kvHeads || heads % kvHeads != 0 || heads / kvHeads > AttentionMaxGroup)
            throw new ArgumentException($"{heads} query heads do not share {kvHeads} kv heads in groups of at most {AttentionMaxGroup}");
    }

    private static void RequireHeadSize(int d, bool even)
    {
        RequirePositive(d, nameof(d));
        if (even && d % 2 != 0) throw new ArgumentException($"RoPE needs an even head size, not {d}", nameof(d));
    }

    private static void RequirePositive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, "must be at least 1");
    }

    private static void RequireGridY(int value, string name)
    {
        if (value < 1 || value > 65535) throw new ArgumentOutOfRangeException(name, value, "must be 1 to 65,535 (a grid dimension)");
    }

    private static uint Blocks(long n, int per) => (uint)((n + per - 1) / per);

    // Blocks for a grid-stride loop of 256 threads: enough to fill the GPU, no more.
    private static uint GridStride(long n) => (uint)Math.Clamp((n + 255) / 256, 1, 8192);

    private static long Align256(long bytes) => (bytes + 255) & ~255L;
}

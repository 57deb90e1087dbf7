// TiledAttention with vectors of any width (V128 portable, V256 for AVX2, V512 for AVX-512): one body per width. A block's
// keys and values are widened to floats once for every row of the tile. Scores: the tile's queries transposed
// ([d × rows]), so one FMA takes a head dimension of W rows against one key's value of it, broadcast (8 keys at a time);
// the softmax then runs on vectors of rows. Weighted values: head dimensions in lanes, one row at a time, its weights
// broadcast. Every lane does the reference's operations in the reference's order, so all widths give its bits.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class TiledAttention
{
    private static bool Chunk<V>(in AttentionTile a, int chunk, float* state) where V : struct, ISimdFloat<V>
    {
        int rows = a.Rows, d = a.HeadSize, p = Padded(rows), w = V.Count, vectors = (rows + w - 1) / w;
        float* qt = a.Scratch, lo = qt + d * p, hi = lo + p, k = hi + p, v = k + BlockPositions * d, s = v + BlockPositions * d,
            rescale = s + BlockPositions * p;
        float* max = state, sum = state + p, o = state + 2 * p;
        Empty(state, rows, d);

        // Queries transposed, and each row's visible positions lo..hi (padding rows see nothing).
        for (int r = 0; r < p; r++)
        {
            if (r >= rows)
            {
                for (int i = 0; i < d; i++) qt[i * p + r] = 0;
                lo[r] = float.PositiveInfinity;
                hi[r] = float.NegativeInfinity;
                continue;
            }
            int t = r / a.Heads, h = r % a.Heads, position = a.QueryPositions[t];
            float* q = a.Queries + (long)t * a.QueryStride + h * d;
            for (int i = 0; i < d; i++) qt[i * p + r] = q[i];
            lo[r] = a.Window > 0 ? position - a.Window + 1 : -1;
            hi[r] = position;
        }
        // Per vector of rows: the union of what its rows see, and what all of them see.
        Span<float> seenFrom = stackalloc float[vectors], seenTo = stackalloc float[vectors], allFrom = stackalloc float[vectors],
            allTo = stackalloc float[vectors];
        float tileFrom = float.PositiveInfinity, tileTo = float.NegativeInfinity;
        for (int x = 0; x < vectors; x++)
        {
            seenFrom[x] = allTo[x] = float.PositiveInfinity;
            seenTo[x] = allFrom[x] = float.NegativeInfinity;
            for (int r = x * w; r < Math.Min(rows, (x + 1) * w); r++)
            {
                seenFrom[x] = MathF.Min(seenFrom[x], lo[r]);
                seenTo[x] = MathF.Max(seenTo[x], hi[r]);
                allFrom[x] = MathF.Max(allFrom[x], lo[r]);
                allTo[x] = MathF.Min(allTo[x], hi[r]);
            }
            tileFrom = MathF.Min(tileFrom, seenFrom[x]);
            tileTo = MathF.Max(tileTo, seenTo[x]);
        }

        Span<bool> active = stackalloc bool[vectors];
        bool any = false;
        for (int b = a.ChunkStarts[chunk]; b < a.ChunkStarts[chunk + 1]; b++)
        {
            int first = a.BlockStarts[b], n = a.BlockStarts[b + 1] - first;
            float firstPosition = a.OrderPositions[first], lastPosition = a.OrderPositions[first + n - 1];
            if (lastPosition < tileFrom || firstPosition > tileTo) continue;
            any = true;
            LoadBlock<V>(a, a.Keys, first, n, k);
            LoadBlock<V>(a, a.Values, first, n, v);
            if (b + PrefetchBlocks < a.ChunkStarts[a.Chunks])
                Prefetch(a, a.BlockStarts[b + PrefetchBlocks], a.BlockStarts[b + PrefetchBlocks + 1]);

            for (int x = 0; x < vectors; x++)
            {
                active[x] = lastPosition >= seenFrom[x] && firstPosition <= seenTo[x];
                if (!active[x]) continue;
                Scores<V>(qt + x * w, p, k, n, d, a.Scale, s + x * w);
                if (firstPosition < allFrom[x] || lastPosition > allTo[x])
                    Mask<V>(s + x * w, p, a.OrderPositions + first, n, V.Load(lo + x * w), V.Load(hi + x * w));
                Softmax<V>(s + x * w, p, n, max + x * w, sum + x * w, rescale + x * w);
            }
            for (int r = 0; r < rows; r++)
                if (active[r / w])
                    WeightedValues<V>(o + r * d, rescale[r], s + r, p, v, n, d);
        }
        return any;
    }

    // Keys or values of the block's n slots (head HeadOffset) as floats, [n × d].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadBlock<V>(in AttentionTile a, void* cache, int first, int n, float* dst) where V : struct, ISimdFloat<V>
    {
        nint d = a.HeadSize, w = V.Count, end = d - d % w, end4 = d - d % (4 * w);
        for (int j = 0; j < n; j++, dst += d)
        {
            long at = (long)a.Order[first + j] * a.RowWidth + a.HeadOffset;
            nint i = 0;
            if (a.HalfCache)
            {
                ushort* src = (ushort*)cache + at;
                V seen = default;
                for (; i < end4; i += 4 * w)
                {
                    V.Store(V.LoadHalfFinite(src + i, ref seen), dst + i);
                    V.Store(V.LoadHalfFinite(src + i + w, ref seen), dst + i + w);
                    V.Store(V.LoadHalfFinite(src + i + 2 * w, ref seen), dst + i + 2 * w);
                    V.Store(V.LoadHalfFinite(src + i + 3 * w, ref seen), dst + i + 3 * w);
                }
                for (; i < end; i += w) V.Store(V.LoadHalfFinite(src + i, ref seen), dst + i);
                if (V.SeenInfinityOrNaN(seen))
                    for (i = 0; i < end; i += w) V.Store(V.LoadHalf(src + i), dst + i);
                for (; i < d; i++) dst[i] = HalfBits.ToSingle(src[i]);
            }
            else
            {
                float* src = (float*)cache + at;
                for (; i < end; i += w) V.Store(V.Load(src + i), dst + i);
                for (; i < d; i++) dst[i] = src[i];
            }
        }
    }

    // The rows of the block PrefetchBlocks ahead, while this one is computed: cache rows are kvHeads·d values apart, a
    // stride the hardware prefetchers follow poorly, and a decode step reads each line once from memory.
    private const int PrefetchBlocks = 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(in AttentionTile a, int first, int end)
    {
        if (!Sse.IsSupported) return;
        int size = a.HalfCache ? 2 : 4, bytes = a.HeadSize * size;
        for (int j = first; j < end; j++)
        {
            long at = ((long)a.Order[j] * a.RowWidth + a.HeadOffset) * size;
            byte* key = (byte*)a.Keys + at, value = (byte*)a.Values + at;
            for (int i = 0; i < bytes; i += 64)
            {
                Sse.Prefetch0(key + i);
                Sse.Prefetch0(value + i);
            }
            Sse.Prefetch0(key + bytes - 1);
            Sse.Prefetch0(value + bytes - 1);
        }
    }

    // s[j·stride] = scale · Σ_i q[i·stride]·k[j·d + i] for one vector of rows, FMAs in i order; 8, 4, then 1 key at a time.
    private static void Scores<V>(float* q, int stride, float* k, int n, int d, float scale, float* s) where V : struct, ISimdFloat<V>
    {
        var factor = V.Splat(scale);
        nint step = stride, size = d;
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            float* k0 = k + j * size, k1 = k0 + size, k2 = k1 + size, k3 = k2 + size, k4 = k3 + size, k5 = k4 + size, k6 = k5 + size,
                k7 = k6 + size, qi = q;
            V a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (nint i = 0; i < size; i++, qi += step)
            {
                var x = V.Load(qi);
                a0 = V.FusedMultiplyAdd(V.Splat(k0[i]), x, a0);
                a1 = V.FusedMultiplyAdd(V.Splat(k1[i]), x, a1);
                a2 = V.FusedMultiplyAdd(V.Splat(k2[i]), x, a2);
                a3 = V.FusedMultiplyAdd(V.Splat(k3[i]), x, a3);
                a4 = V.FusedMultiplyAdd(V.Splat(k4[i]), x, a4);
                a5 = V.FusedMultiplyAdd(V.Splat(k5[i]), x, a5);
                a6 = V.FusedMultiplyAdd(V.Splat(k6[i]), x, a6);
                a7 = V.FusedMultiplyAdd(V.Splat(k7[i]), x, a7);
            }
            float* sj = s + j * step;
            V.Store(V.Multiply(a0, factor), sj);
            V.Store(V.Multiply(a1, factor), sj + step);
            V.Store(V.Multiply(a2, factor), sj + 2 * step);
            V.Store(V.Multiply(a3, factor), sj + 3 * step);
            V.Store(V.Multiply(a4, factor), sj + 4 * step);
            V.Store(V.Multiply(a5, factor), sj + 5 * step);
            V.Store(V.Multiply(a6, factor), sj + 6 * step);
            V.Store(V.Multiply(a7, factor), sj + 7 * step);
        }
        for (; j < n; j++)
        {
            float* kj = k + j * size, qi = q;
            V a0 = default;
            for (nint i = 0; i < size; i++, qi += step) a0 = V.FusedMultiplyAdd(V.Splat(kj[i]), V.Load(qi), a0);
            V.Store(V.Multiply(a0, factor), s + j * step);
        }
    }

    // Scores of keys a row does not see (position outside its lo..hi) become −∞.
    private static void Mask<V>(float* s, int stride, int* positions, int n, V lo, V hi) where V : struct, ISimdFloat<V>
    {
        var hidden = V.Splat(float.NegativeInfinity);
        for (int j = 0; j < n; j++)
        {
            var position = V.Splat(positions[j]);
            var visible = V.And(V.LessThanOrEqual(lo, position), V.LessThanOrEqual(position, hi));
            V.Store(V.Select(visible, V.Load(s + j * stride), hidden), s + j * stride);
        }
    }

    // One block of the online softmax for a vector of rows: new max, the factor on the old triple, weights in place of
    // the scores, the sum.
    private static void Softmax<V>(float* s, int stride, int n, float* max, float* sum, float* rescale) where V : struct, ISimdFloat<V>
    {
        // The block's max in four chains (max is exact in any order; one chain waits on each max's latency).
        V m0 = V.Splat(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            m0 = V.Max(m0, V.Load(s + j * stride));
            m1 = V.Max(m1, V.Load(s + (j + 1) * stride));
            m2 = V.Max(m2, V.Load(s + (j + 2) * stride));
            m3 = V.Max(m3, V.Load(s + (j + 3) * stride));
        }
        for (; j < n; j++) m0 = V.Max(m0, V.Load(s + j * stride));
        var blockMax = V.Max(V.Max(m0, m1), V.Max(m2, m3));
        var old = V.Load(max);
        var next = V.Max(old, blockMax);
        var shift = V.Max(next, V.Splat(-float.MaxValue));
        var factor = V.Exp(V.Subtract(old, shift));
        var total = V.Multiply(V.Load(sum), factor);
        for (j = 0; j < n; j++)
        {
            var weight = V.Exp(V.Subtract(V.Load(s + j * stride), shift));
            V.Store(weight, s + j * stride);
            total = V.Add(total, weight);
        }
        V.Store(next, max);
        V.Store(total, sum);
        V.Store(factor, rescale);
    }

    // o ← o·rescale + Σ_j weight[j·stride]·v[j·d ..], FMAs in j order; head dimensions 8, 4, then 1 vector at a time.
    private static void WeightedValues<V>(float* o, float rescale, float* weight, int stride, float* v, int n, int d) where V : struct, ISimdFloat<V>
    {
        int w = V.Count, c = 0;
        var f = V.Splat(rescale);
        for (; c + 8 * w <= d; c += 8 * w)
        {
            float* oc = o + c, vc = v + c;
            var o0 = V.Multiply(V.Load(oc), f);
            var o1 = V.Multiply(V.Load(oc + w), f);
            var o2 = V.Multiply(V.Load(oc + 2 * w), f);
            var o3 = V.Multiply(V.Load(oc + 3 * w), f);
            var o4 = V.Multiply(V.Load(oc + 4 * w), f);
            var o5 = V.Multiply(V.Load(oc + 5 * w), f);
            var o6 = V.Multiply(V.Load(oc + 6 * w), f);
            var o7 = V.Multiply(V.Load(oc + 7 * w), f);
            for (int j = 0; j < n; j++, vc += d)
            {
                var p = V.Splat(weight[j * stride]);
                o0 = V.FusedMultiplyAdd(p, V.Load(vc), o0);
                o1 = V.FusedMultiplyAdd(p, V.Load(vc + w), o1);
                o2 = V.FusedMultiplyAdd(p, V.Load(vc + 2 * w), o2);
                o3 = V.FusedMultiplyAdd(p, V.Load(vc + 3 * w), o3);
                o4 = V.FusedMultiplyAdd(p, V.Load(vc + 4 * w), o4);
                o5 = V.FusedMultiplyAdd(p, V.Load(vc + 5 * w), o5);
                o6 = V.FusedMultiplyAdd(p, V.Load(vc + 6 * w), o6);
                o7 = V.FusedMultiplyAdd(p, V.Load(vc + 7 * w), o7);
            }
            V.Store(o0, oc);
            V.Store(o1, oc + w);
            V.Store(o2, oc + 2 * w);
            V.Store(o3, oc + 3 * w);
            V.Store(o4, oc + 4 * w);
            V.Store(o5, oc + 5 * w);
            V.Store(o6, oc + 6 * w);
            V.Store(o7, oc + 7 * w);
        }
        for (; c + 4 * w <= d; c += 4 * w)
        {
            float* oc = o + c, vc = v + c;
            var o0 = V.Multiply(V.Load(oc), f);
            var o1 = V.Multiply(V.Load(oc + w), f);
            var o2 = V.Multiply(V.Load(oc + 2 * w), f);
            var o3 = V.Multiply(V.Load(oc + 3 * w), f);
            for (int j = 0; j < n; j++, vc += d)
            {
                var p = V.Splat(weight[j * stride]);
                o0 = V.FusedMultiplyAdd(p, V.Load(vc), o0);
                o1 = V.FusedMultiplyAdd(p, V.Load(vc + w), o1);
                o2 = V.FusedMultiplyAdd(p, V.Load(vc + 2 * w), o2);
                o3 = V.FusedMultiplyAdd(p, V.Load(vc + 3 * w), o3);
            }
            V.Store(o0, oc);
            V.Store(o1, oc + w);
            V.Store(o2, oc + 2 * w);
            V.Store(o3, oc + 3 * w);
        }
        for (; c + w <= d; c += w)
        {
            var o0 = V.Multiply(V.Load(o + c), f);
            for (int j = 0; j < n; j++) o0 = V.FusedMultiplyAdd(V.Splat(weight[j * stride]), V.Load(v + j * d + c), o0);
            V.Store(o0, o + c);
        }
        for (; c < d; c++)
        {
            float x = o[c] * rescale;
            for (int j = 0; j < n; j++) x = MathF.FusedMultiplyAdd(weight[j * stride], v[j * d + c], x);
            o[c] = x;
        }
    }

    private static void MergeRow<V>(float* o, float* c, float keep, float add, int d) where V : struct, ISimdFloat<V>
    {
        var k = V.Splat(keep);
        var a = V.Splat(add);
        int i = 0;
        for (; i + V.Count <= d; i += V.Count) V.Store(V.FusedMultiplyAdd(V.Load(c + i), a, V.Multiply(V.Load(o + i), k)), o + i);
        MergeRow(o, c, keep, add, i, d);
    }

    private static int ScaleRow<V>(float* x, float factor, float* y, int d) where V : struct, ISimdFloat<V>
    {
        var f = V.Splat(factor);
        int i = 0;
        for (; i + V.Count <= d; i += V.Count) V.Store(V.Multiply(V.Load(x + i), f), y + i);
        return i;
    }
}

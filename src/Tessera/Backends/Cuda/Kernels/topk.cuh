// The router's top-k with its softmax, shared by sample.cu (tsr_topk_softmax, the fused router) and matvec.cu (the
// decode router's split-K product, whose last block picks the experts): one definition, so every path picks the same
// experts with the same weights bit for bit. Order: larger value first, then lower index; NaN never wins.
#pragma once
#include "common.cuh"

// (v, i) beats (bv, bi): bi < 0 means "nothing yet"; NaN never beats anything.
__device__ __forceinline__ bool tsr_beats(float v, int i, float bv, int bi)
{
    if (v != v || i < 0) return false;
    return bi < 0 || v > bv || (v == bv && i < bi);
}

__device__ __forceinline__ void tsr_warp_best(float& v, int& i)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
    {
        float ov = __shfl_xor_sync(0xffffffffu, v, o);
        int oi = __shfl_xor_sync(0xffffffffu, i, o);
        if (tsr_beats(ov, oi, v, i))
        {
            v = ov;
            i = oi;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Router top-k + softmax: a warp per row of E ≤ 256 logits, k ≤ 8 rounds of a warp arg-max.
// ---------------------------------------------------------------------------------------------------------------------
// One warp: the k best of row[0 .. E) (global or shared memory) into ids/weights [k] with their softmax.
__device__ __forceinline__ void tsr_topk_softmax_row(const float* row, int* __restrict__ ids, float* __restrict__ weights, int E, int k)
{
    const int lane = threadIdx.x & 31;
    float v[8];
#pragma unroll
    for (int j = 0; j < 8; j++) v[j] = lane + 32 * j < E ? row[lane + 32 * j] : 0.f;
    unsigned taken = 0;
    float picked[8];
    int pickedIds[8];
#pragma unroll
    for (int r = 0; r < 8; r++)
    {
        if (r >= k) break;
        float bv = 0.f;
        int bi = -1;
#pragma unroll
        for (int j = 0; j < 8; j++)
        {
            int e = lane + 32 * j;
            if (e < E && !(taken >> j & 1) && tsr_beats(v[j], e, bv, bi))
            {
                bv = v[j];
                bi = e;
            }
        }
        tsr_warp_best(bv, bi);
        if (bi >= 0 && (bi & 31) == lane) taken |= 1u << (bi >> 5);
        picked[r] = bv;
        pickedIds[r] = bi;
    }
    if (lane == 0)
    {
        // As the reference: max-subtracted expf, summed in double in order, scaled by the rounded reciprocal.
        float max = picked[0];
        double sum = 0;
        float w[8];
#pragma unroll
        for (int j = 0; j < 8; j++)
            if (j < k)
            {
                w[j] = expf(picked[j] - max);
                sum += w[j];
            }
        float inverse = (float)(1.0 / sum);
#pragma unroll
        for (int j = 0; j < 8; j++)
            if (j < k)
            {
                ids[j] = pickedIds[j];
                weights[j] = __fmul_rn(w[j], inverse);
            }
    }
}

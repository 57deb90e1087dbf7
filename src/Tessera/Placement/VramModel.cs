// How much GPU memory a placement takes, part by part, so that the planner can fit a budget and `tessera plan` can show
// where it goes. Each part mirrors what the CUDA backend allocates: weights as CudaBackend.Load uploads them, the KV cache
// as KvCache sizes it, activations as GptOssActivations holds them, the scratch as CudaKernels asks for it. Where the
// backend grows a buffer by doubling, the bound (twice) is counted; a stated margin covers the rest.

using Tessera.Backends.Cuda;
using Tessera.Models.GptOss;
using Tessera.Quants;

using Tessera.Backends.Hybrid;

namespace Tessera.Placement;

/// <summary>The parts of a placement's GPU memory.</summary>
public static class VramModel
{
    /// <summary>What the GPU holds beside this model's own buffers, by the driver's count (total − free): the CUDA context
    /// (the driver's code, the kernels, local memory for every thread the GPU can hold) and what the driver keeps for
    /// itself. 576 MiB: a gpt-oss-20b run at context 4,096 on an H200 used 11.7 GiB by that count (docs/cuda-backend.md),
    /// 0.5 GiB above what this model gives for its weights, KV cache and work buffers (with their margin); a hybrid run
    /// planned to the byte for 8 GiB used 8.06 GiB before the upload scratch was counted (docs/hybrid.md), so 64 MiB more
    /// keeps the driver's figure under the budget.</summary>
    public const long ContextOverheadBytes = 576L << 20;

    /// <summary>Added to the work buffers for what is not counted part by part (allocation rounding, small tensors, the
    /// 2 × 32 MiB of upload scratch while loading): 64 MiB plus a tenth.</summary>
    public const long WorkMarginBytes = 64L << 20;

    /// <summary>Bytes of <paramref name="tensor"/> on the GPU: Q8_0, MXFP4, F16 and F32 keep their size (CudaBackend.Load
    /// repacks the blocks into values and scales of the same bytes); any other type is dequantised to F32, 4 bytes a value.</summary>
    public static long WeightBytes(PlannedTensor tensor) => tensor.Type switch
    {
        GgmlType.Q8_0 or GgmlType.MXFP4 or GgmlType.F16 or GgmlType.F32 => tensor.Bytes,
        _ => tensor.Elements * 4,
    };

    /// <summary>Bytes of one expert of block <paramref name="block"/> on the GPU: its slices of ffn_gate_exps, ffn_up_exps
    /// and ffn_down_exps and its rows of their biases (every expert is the same size).</summary>
    public static long ExpertBytes(ModelTensors model, int block)
    {
        long experts = model.HyperParameters.ExpertCount;
        return model.Tensors.Where(t => t.IsExpert && t.Block == block).Sum(t => WeightBytes(t) / experts);
    }

    /// <summary>Bytes of one expert's slices of ffn_gate_exps, ffn_up_exps and ffn_down_exps (no bias rows): what staging
    /// copies per expert.</summary>
    public static long ExpertSliceBytes(ModelTensors model, int block)
    {
        long experts = model.HyperParameters.ExpertCount;
        return model.Tensors.Where(t => t.IsExpert && t.Block == block && t.Dimensions.Length == 3).Sum(t => WeightBytes(t) / experts);
    }

    /// <summary>Key/value slots of block <paramref name="layer"/>: the context for full attention; for a sliding-window
    /// layer its ring of the window plus one batch (at most the context), and when the ring is shorter than the context
    /// the history of every position beside it, as KvCache allocates them.</summary>
    public static long KvSlots(GptOssHyperParameters hp, int layer, int contextSize, int batchSize)
    {
        if (!GptOssHyperParameters.IsSlidingWindowLayer(layer)) return contextSize;
        long ring = RingSlots(hp, contextSize, batchSize);
        return ring < contextSize ? ring + contextSize : ring;
    }

    /// <summary>Slots of a sliding-window layer's ring: the window plus one batch, at most the context.</summary>
    public static long RingSlots(GptOssHyperParameters hp, int contextSize, int batchSize) =>
        Math.Min((long)hp.SlidingWindow + Math.Min(batchSize, contextSize), contextSize);

    /// <summary>Bytes of one slot of one block: keys and values of every KV head.</summary>
    public static long KvSlotBytes(GptOssHyperParameters hp, GgmlType kvType = GgmlType.F16) =>
        (long)hp.HeadCountKv * hp.KeyLength * 2 * (kvType == GgmlType.F32 ? 4 : 2);

    /// <summary>Bytes of the KV cache of the blocks for which <paramref name="onGpu"/> is true.</summary>
    public static long KvCacheBytes(GptOssHyperParameters hp, int contextSize, int batchSize, Func<int, bool> onGpu, GgmlType kvType = GgmlType.F16)
    {
        long bytes = 0;
        for (int il = 0; il < hp.BlockCount; il++)
            if (onGpu(il)) bytes += KvSlots(hp, il, contextSize, batchSize) * KvSlotBytes(hp, kvType);
        return bytes;
    }

    /// <summary>Bytes of the activations of one pass over <paramref name="tokens"/> tokens (GptOssActivations): token ids,
    /// residual and normed rows, Q, K, V, attention output, router logits, chosen experts and weights, and per expert slot
    /// gate, up, SwiGLU and down rows; all F32 or I32.</summary>
    public static long ActivationBytes(GptOssHyperParameters hp, int tokens)
    {
        long embd = hp.EmbeddingLength, q = (long)hp.HeadCount * hp.KeyLength, kv = (long)hp.HeadCountKv * hp.KeyLength;
        long k = hp.ExpertUsedCount, ff = hp.ExpertFeedForwardLength;
        return 4L * tokens * (1 + 2 * embd + 2 * q + 2 * kv + hp.ExpertCount + 2 * k + 3 * k * ff + k * embd);
    }

    /// <summary>Bytes of the head's buffers for one row of logits (run, chat, serve and bench ask for the last row only):
    /// the row, its norm and the logits.</summary>
    public static long HeadBytes(GptOssHyperParameters hp) => 4L * (2 * hp.EmbeddingLength + hp.VocabularySize);

    /// <summary>Bytes of the YaRN cos/sin table the CUDA backend keeps: original context × scaling factor positions (at
    /// most 2²¹), head size floats each.</summary>
    public static long RopeTableBytes(GptOssHyperParameters hp)
    {
        long original = hp.RopeOriginalContextLength != 0 ? hp.RopeOriginalContextLength : hp.ContextLength;
        long positions = Math.Min(1L << 21, Math.Max((long)Math.Ceiling(original * (double)hp.RopeScalingFactor), original));
        return positions * hp.KeyLength * 4;
    }

    /// <summary>Bytes of the buffers a pass works in, for batches of up to <paramref name="batchSize"/> tokens over a
    /// context of <paramref name="contextSize"/>: activations of one batch and of one token, the head, the expert and
    /// attention scratch (twice: the backend grows them by doubling), the RoPE table, the KV slot maps, and the margin
    /// (<see cref="WorkMarginBytes"/> plus a tenth).</summary>
    public static long WorkBufferBytes(GptOssHyperParameters hp, int contextSize, int batchSize)
    {
        int T = Math.Min(batchSize, contextSize);
        long activations = ActivationBytes(hp, T) + ActivationBytes(hp, 1) + HeadBytes(hp);
        long expertScratch = CudaKernels.ExpertScratchBytes(T, hp.ExpertUsedCount, hp.ExpertCount,
            Math.Max(hp.ExpertFeedForwardLength, hp.EmbeddingLength));
        long attentionScratch = CudaKernels.AttentionScratchBytes(hp.HeadCount, hp.KeyLength, T, contextSize);
        long slotMaps = 4L * (2 * contextSize + 2 * T);
        long counted = activations + 2 * expertScratch + 2 * attentionScratch + RopeTableBytes(hp) + slotMaps;
        return counted + counted / 10 + WorkMarginBytes;
    }

    /// <summary>Bytes a hybrid prefill copies a block's experts in RAM through, to compute them on the GPU: one room per
    /// expert tensor (gate, up, down) for the most experts any block keeps in RAM, at most
    /// <see cref="HybridBackend.DefaultStageRoomExperts"/> (HybridBackend.Stage), and the upload scratch the copies go through
    /// (2 × 32 MiB, kept from the first staged batch on).</summary>
    public static long StagingBytes(int mostCpuExperts, long expertSliceBytes) => mostCpuExperts > 0
        ? Math.Min(mostCpuExperts, HybridBackend.DefaultStageRoomExperts) * expertSliceBytes + UploadScratchBytes
        : 0;

    /// <summary>Per block with experts in RAM: the packed GPU experts, their bias rows and the RAM experts' bias rows are
    /// nine allocations, rounded up by the driver. On an H200 a plan with every block split used 8.01 GiB of an 8 GiB
    /// budget, one with one block split and ten in RAM 7.94 (docs/hybrid.md): 4 MiB a block covers the difference.</summary>
    public const long SplitBlockSlackBytes = 4L << 20;

    /// <summary>The CUDA backend's two upload buffers (CudaBackend.StagingBytes each).</summary>
    public const long UploadScratchBytes = 64L << 20;

    /// <summary>Everything <paramref name="placement"/> needs on the GPU for <paramref name="contextSize"/> positions and
    /// batches of <paramref name="batchSize"/>; nothing when nothing is on the GPU. With experts in RAM, every expert's
    /// bias rows are on the GPU too (a staged prefill adds them there; a few KB each) and the staging room is counted.</summary>
    public static VramEstimate Estimate(ModelTensors model, TensorPlacement placement, int contextSize, int batchSize = 512,
        GgmlType kvType = GgmlType.F16)
    {
        var hp = model.HyperParameters;
        bool AttentionOnGpu(int il) => placement.AttentionDevice(il) != Backends.Device.Cpu;
        long weights = 0, expertBiases = 0;
        foreach (var t in model.Tensors)
        {
            if (t.Name == GptOssTensorNames.TokenEmbedding) continue;   // stays in RAM: one row is read per token
            if (t.IsExpert && t.Dimensions.Length < 3)
                expertBiases += WeightBytes(t);
            else if (t.IsExpert)
                weights += WeightBytes(t) / hp.ExpertCount * placement.GpuExpertCount(t.Block!.Value);
            else if (placement.DeviceOf(t.Name) != Backends.Device.Cpu)
                weights += WeightBytes(t);
        }
        if (weights == 0 && !Enumerable.Range(0, hp.BlockCount).Any(AttentionOnGpu))
            return VramEstimate.None;
        // Blocks with experts in RAM hold their experts as several small packed allocations; measured, each costs this much
        // beyond its bytes (allocation granularity).
        weights += Enumerable.Range(0, hp.BlockCount).Count(il => placement.GpuExpertCount(il) < hp.ExpertCount) * SplitBlockSlackBytes;
        long staging = 0;
        for (int il = 0; il < hp.BlockCount; il++)
            staging = Math.Max(staging, StagingBytes(hp.ExpertCount - placement.GpuExpertCount(il), ExpertSliceBytes(model, il)));
        return new VramEstimate(weights + expertBiases, KvCacheBytes(hp, contextSize, batchSize, AttentionOnGpu, kvType),
            WorkBufferBytes(hp, contextSize, batchSize), staging, ContextOverheadBytes);
    }
}

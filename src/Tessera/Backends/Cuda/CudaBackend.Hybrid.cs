// What running beside the CPU needs of the CUDA backend (Backends/Hybrid): some experts of an expert tensor loaded and packed
// together, staging room for the others when a large batch computes them here, expert ids remapped into such a packed
// weight, and several small results read back with one wait.

using Tessera.Quants;

namespace Tessera.Backends.Cuda;

public sealed unsafe partial class CudaBackend
{
    /// <summary>Loads only the experts <paramref name="indices"/> of an expert tensor {K, R, E} (or only those rows of an
    /// expert bias {R, E}), packed in the order given: expert i of the result is expert indices[i] of the file.</summary>
    internal WeightTensor LoadSubset(WeightTensor weight, ReadOnlySpan<int> indices)
    {
        if (weight.Device != Device.Cpu)
            throw new ArgumentException($"{weight.Name} lives on {weight.Device}; the CUDA backend loads host weights");
        _context.MakeCurrent();
        var view = AllocateUnits(weight, indices.Length, weight.Name);
        UploadUnits(weight, indices, view);
        _stream.Synchronize();
        return WeightTensor.OnDevice(weight, Device, view);
    }

    /// <summary>Device room for <paramref name="count"/> experts of <paramref name="weight"/>, filled by <see cref="UploadUnits"/>.</summary>
    internal CudaWeightView AllocateStaging(WeightTensor weight, int count) => AllocateUnits(weight, count, $"staging for {weight.Name}");

    /// <summary>Copies experts (slices, or rows of a bias) <paramref name="indices"/> of a host weight into
    /// <paramref name="destination"/>, expert indices[i] at place i; queued on the stream.</summary>
    internal void UploadUnits(WeightTensor weight, ReadOnlySpan<int> indices, in CudaWeightView destination)
    {
        bool slices = weight.Slices > 1;
        int units = slices ? weight.Slices : weight.Rows, rowsPerUnit = slices ? weight.Rows : 1, k = weight.RowLength;
        if (indices.Length > (slices ? destination.Slices : destination.R))
            throw new ArgumentException($"{indices.Length} experts of {weight.Name} do not fit a room for {(slices ? destination.Slices : destination.R)}");
        long blocksPerUnit = (long)rowsPerUnit * k / 32;
        for (int i = 0; i < indices.Length; i++)
        {
            int e = indices[i];
            if ((uint)e >= (uint)units) throw new ArgumentOutOfRangeException(nameof(indices), $"expert {e} of {weight.Name}");
            byte* host = weight.SliceAddress(0) + (long)e * rowsPerUnit * weight.RowBytes;
            switch (weight.Type)
            {
                case GgmlType.Q8_0:
                    UploadBlocks(host, 34, blocksPerUnit, destination.Values + (ulong)(i * blocksPerUnit * 32), destination.Scales + (ulong)(i * blocksPerUnit * 2), weight.Type);
                    break;
                case GgmlType.MXFP4:
                    UploadBlocks(host, 17, blocksPerUnit, destination.Values + (ulong)(i * blocksPerUnit * 16), destination.Scales + (ulong)(i * blocksPerUnit), weight.Type);
                    break;
                case GgmlType.F32 or GgmlType.F16:
                {
                    long bytes = (long)rowsPerUnit * weight.RowBytes;
                    UploadPlain(host, destination.Values + (ulong)(i * bytes), bytes);
                    break;
                }
                default:
                    UploadDequantised(weight, (long)e * rowsPerUnit, rowsPerUnit, destination.Values + (ulong)((long)i * rowsPerUnit * k * 4));
                    break;
            }
        }
    }

    // Device memory for `count` experts (or bias rows) of `weight` in the layout Load gives the whole tensor.
    private CudaWeightView AllocateUnits(WeightTensor weight, int count, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        bool slices = weight.Slices > 1;
        int k = weight.RowLength, r = slices ? weight.Rows : count, n = slices ? count : 1;
        long rows = (long)r * n;
        switch (weight.Type)
        {
            case GgmlType.Q8_0:
            case GgmlType.MXFP4:
            {
                bool q8 = weight.Type == GgmlType.Q8_0;
                long blocks = rows * (k / 32);
                ulong values = AllocateWeight(q8 ? rows * k : rows * k / 2, what);
                ulong scales = AllocateWeight(((q8 ? blocks * 2 : blocks) + 15) & ~15L, what);
                return new CudaWeightView(weight.Type, values, scales, k, r, n);
            }
            case GgmlType.F32:
            case GgmlType.F16:
                return new CudaWeightView(weight.Type, AllocateWeight(rows * k * (weight.Type == GgmlType.F32 ? 4 : 2), what), 0, k, r, n);
            default:
                return new CudaWeightView(GgmlType.F32, AllocateWeight(rows * k * 4, what), 0, k, r, n);
        }
    }

    /// <summary>output[i] = map[ids[i]] for ids inside [0, map.Columns), else −1 (I32 tensors; output shaped like ids).</summary>
    internal void RemapIds(BackendTensor ids, BackendTensor map, BackendTensor output)
    {
        var (i, m, o) = (Own(ids), Own(map), Own(output));
        Require(i.Type == GgmlType.I32 && m.Type == GgmlType.I32 && o.Type == GgmlType.I32 && o.ElementCount >= i.ElementCount,
            $"cannot remap {i} through {m} into {o}");
        _kernels.RemapIds(_stream, i.Pointer, m.Pointer, o.Pointer, (int)i.ElementCount, m.Columns);
    }

    /// <summary>Queues a copy of a tensor into page-locked host memory (<see cref="CudaContext.AllocatePinned"/>) that holds
    /// its bytes; the values are there after the next wait for the stream (<see cref="Synchronize"/>, a read).</summary>
    internal void CopyToHostLater(BackendTensor source, nint destination)
    {
        var t = Own(source);
        _stream.CopyToHost((void*)destination, t.Pointer, t.Bytes);
    }

    /// <summary>Reads F32 or I32 tensors into host memory with one wait for the stream: each destination holds the
    /// tensor's bytes and stays valid (pinned or native) while this runs.</summary>
    internal void ReadMany(ReadOnlySpan<(BackendTensor Source, nint Destination)> reads)
    {
        long total = 0;
        foreach (var (source, _) in reads)
        {
            var t = Own(source);
            Require(t.Type is GgmlType.F32 or GgmlType.I32, $"cannot read {t} raw");
            total += (t.Bytes + 255) & ~255L;
        }
        var staged = ReadBuffer(total);
        long at = 0;
        foreach (var (source, _) in reads)
        {
            var t = Own(source);
            _stream.CopyToHost(staged + at, t.Pointer, t.Bytes);
            at += (t.Bytes + 255) & ~255L;
        }
        _stream.Synchronize();
        at = 0;
        foreach (var (source, destination) in reads)
        {
            var t = Own(source);
            Buffer.MemoryCopy(staged + at, (void*)destination, t.Bytes, t.Bytes);
            at += (t.Bytes + 255) & ~255L;
        }
    }
}

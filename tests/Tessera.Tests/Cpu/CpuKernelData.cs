// Random operands for the CPU kernel tests: weight rows of any block type in native memory (read by pointer, as the
// kernels read the memory-mapped file), activations quantised by the scalar reference, and the ISA strategies to sweep.

using System.Runtime.InteropServices;
using Tessera.Backends.Cpu;
using Tessera.Quants;

namespace Tessera.Tests.Cpu;

internal static unsafe class CpuKernelData
{
    /// <summary>Every strategy this machine runs except the scalar reference.</summary>
    public static IEnumerable<CpuIsa> FastPaths => CpuIsaSupport.Supported.Where(i => i != CpuIsa.Scalar);

    /// <summary>Random floats in [−scale, scale), with some exact zeros and a few outliers.</summary>
    public static float[] Floats(Random rng, int n, float scale = 1)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            int pick = rng.Next(64);
            x[i] = pick == 0 ? 0 : pick == 1 ? (float)(rng.NextDouble() * 2 - 1) * scale * 40 : (float)(rng.NextDouble() * 2 - 1) * scale;
        }
        return x;
    }

    /// <summary>Random weight rows of <paramref name="type"/>: raw random quant bytes, scales in a sane range.</summary>
    public static byte[] WeightRows(Random rng, GgmlType type, int rows, int blocks)
    {
        int blockBytes = type == GgmlType.Q8_0 ? 34 : 17;
        var bytes = new byte[rows * blocks * blockBytes];
        rng.NextBytes(bytes);
        for (int b = 0; b < rows * blocks; b++)
        {
            int at = b * blockBytes;
            if (type == GgmlType.Q8_0)
                BitConverter.TryWriteBytes(bytes.AsSpan(at), (Half)((rng.NextDouble() * 2 - 1) * 0.05));
            else
                bytes[at] = (byte)rng.Next(110, 135);
        }
        return bytes;
    }

    /// <summary>Native memory holding a copy of <paramref name="bytes"/>, freed on dispose.</summary>
    public sealed class Native : IDisposable
    {
        public Native(ReadOnlySpan<byte> bytes)
        {
            Pointer = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, bytes.Length));
            bytes.CopyTo(new Span<byte>(Pointer, bytes.Length));
        }

        public byte* Pointer { get; }
        public void Dispose() => NativeMemory.Free(Pointer);
    }
}

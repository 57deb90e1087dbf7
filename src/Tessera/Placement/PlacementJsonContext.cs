// The planner's cache files as JSON (source-generated: the CLI is published trimmed).

using System.Text.Json.Serialization;

namespace Tessera.Placement;

/// <summary>The CPU probe's cache: one entry per CPU model and thread count.</summary>
internal sealed class CpuBandwidthCache
{
    public List<CpuBandwidthEntry> Entries { get; set; } = [];
}

/// <summary>One measured bandwidth.</summary>
internal sealed record CpuBandwidthEntry(string Cpu, int Threads, double BytesPerSecond, DateTime MeasuredUtc);

/// <summary>A model's router counts: <c>Counts[layer][expert]</c>.</summary>
internal sealed record ExpertUsageFile(string Model, long FileSize, int Layers, int Experts, long[][] Counts);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CpuBandwidthCache))]
[JsonSerializable(typeof(ExpertUsageFile))]
internal sealed partial class PlacementJsonContext : JsonSerializerContext;

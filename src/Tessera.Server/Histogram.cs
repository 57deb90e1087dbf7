// A Prometheus histogram: cumulative bucket counts, sum and count, written in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).

using System.Globalization;
using System.Text;

namespace Tessera.Server;

/// <summary>Counts observations into fixed upper bounds; thread-safe.</summary>
internal sealed class Histogram(string name, string help, params double[] upperBounds)
{
    private readonly long[] _counts = new long[upperBounds.Length + 1];   // the last is +Inf
    private readonly Lock _lock = new();
    private double _sum;
    private long _count;

    public void Observe(double value)
    {
        var bucket = Array.FindIndex(upperBounds, b => value <= b);
        lock (_lock)
        {
            _counts[bucket < 0 ? upperBounds.Length : bucket]++;
            _sum += value;
            _count++;
        }
    }

    public void WriteTo(StringBuilder sb)
    {
        lock (_lock)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(" histogram\n");
            long cumulative = 0;
            for (var i = 0; i <= upperBounds.Length; i++)
            {
                cumulative += _counts[i];
                var le = i < upperBounds.Length ? Number(upperBounds[i]) : "+Inf";
                sb.Append(name).Append("_bucket{le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
            }
            sb.Append(name).Append("_sum ").Append(Number(_sum)).Append('\n');
            sb.Append(name).Append("_count ").Append(_count).Append('\n');
        }
    }

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

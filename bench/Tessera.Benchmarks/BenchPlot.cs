// The side-by-side chart: tokens per second of Tessera and llama.cpp per test, with ± one standard deviation.

using ScottPlot;

namespace Tessera.Benchmarks;

internal static class BenchPlot
{
    public static void Save(string path, IReadOnlyList<(string Test, double Tessera, double TesseraStd, double Llama, double LlamaStd)> rows, string title)
    {
        var plot = new Plot();
        var tesseraColor = new Color(31, 119, 180);
        var llamaColor = new Color(255, 127, 14);
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            bars.Add(new Bar { Position = i * 3, Value = r.Tessera, Error = r.TesseraStd, FillColor = tesseraColor });
            bars.Add(new Bar { Position = i * 3 + 1, Value = r.Llama, Error = r.LlamaStd, FillColor = llamaColor });
            ticks.Add(new Tick(i * 3 + 0.5, $"{r.Test}\n×{r.Tessera / r.Llama:F2}"));
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Tessera", FillColor = tesseraColor });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "llama.cpp", FillColor = llamaColor });
        plot.ShowLegend(Alignment.UpperRight);
        plot.YLabel("tokens per second");
        plot.Title(title);
        plot.SavePng(path, 900, 540);
    }
}

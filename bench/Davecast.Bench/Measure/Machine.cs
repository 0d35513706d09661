using System.Globalization;

namespace Davecast.Bench.Measure;

/// <summary>The machine a row ran on, as results name it: CPU model (from /proc/cpuinfo), cores, memory.</summary>
public static class Machine
{
    public static string Describe()
    {
        string cpu = ProcLine("/proc/cpuinfo", "model name") is { } model ? model[(model.IndexOf(':') + 1)..].Trim() : "unknown CPU";
        string memory = ProcLine("/proc/meminfo", "MemTotal:") is { } total
            && long.TryParse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb)
            ? string.Create(CultureInfo.InvariantCulture, $", {kb / 1024.0 / 1024:F1} GB of memory")
            : "";
        return $"{cpu}, {Environment.ProcessorCount} cores{memory}";
    }

    private static string? ProcLine(string path, string prefix)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return null;
        }
    }
}

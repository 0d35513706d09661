using System.Globalization;

namespace Davecast.Bench.Measure;

/// <summary>CPU time and memory of one process, from /proc/&lt;pid&gt;/stat and /proc/&lt;pid&gt;/status (Linux).</summary>
public readonly record struct ProcSample(int Pid, long CpuTicks, long RssKb, long HwmKb, DateTime At)
{
    /// <summary>Clock ticks per second of utime and stime (USER_HZ; 100 on every Linux that .NET runs on).</summary>
    public const double TicksPerSecond = 100;

    public double CpuSeconds => CpuTicks / TicksPerSecond;
}

public static class ProcStat
{
    /// <summary>utime + stime of the process, and its current and peak resident set; null once it is gone.</summary>
    public static ProcSample? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name, in parentheses, may hold spaces: count fields after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 of the whole line (utime, stime) are 11 and 12 after the name (state is the first).
            long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kb(line);
            }
            return new ProcSample(pid, utime + stime, rss, hwm, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Threads of the process (the Threads line of /proc/pid/status); null once it is gone.</summary>
    public static int? Threads(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Threads:", StringComparison.Ordinal));
            return line is null ? null : int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Open file descriptors of the process (entries of /proc/pid/fd); null once it is gone.</summary>
    public static int? OpenFiles(int pid)
    {
        try
        {
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    /// <summary>The first number of /proc/loadavg (one-minute load average).</summary>
    public static double LoadAverage()
    {
        var text = File.ReadAllText("/proc/loadavg");
        return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Busy and total jiffies of all CPUs, from the first line of /proc/stat.</summary>
    public static (long Busy, long Total) SystemCpu()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        long idle = v[3] + v[4];
        long total = v.Take(8).Sum();
        return (total - idle, total);
    }
}

/// <summary>CPU used by one process over a window: the difference of two samples.</summary>
public sealed record CpuUse(string Name, int Pid, double CpuSeconds, double WallSeconds, long RssKb, long HwmKb)
{
    /// <summary>CPU-seconds per second: 1.0 is one core busy all the time.</summary>
    public double Cores => WallSeconds <= 0 ? 0 : CpuSeconds / WallSeconds;

    public static CpuUse Between(string name, ProcSample start, ProcSample end) =>
        new(name, start.Pid, (end.CpuTicks - start.CpuTicks) / ProcSample.TicksPerSecond, (end.At - start.At).TotalSeconds, end.RssKb, end.HwmKb);
}

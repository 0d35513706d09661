using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

/// <summary>CPU and memory of a set of named processes, and of the whole machine, between two instants.</summary>
public sealed class Sampler
{
    private readonly List<(string Name, Child Process)> _processes = [];
    private Dictionary<string, ProcSample> _start = [];
    private (long Busy, long Total) _systemStart;
    private DateTime _startAt;

    public void Add(string name, Child process) => _processes.Add((name, process));

    public void Start()
    {
        _systemStart = ProcStat.SystemCpu();
        _startAt = DateTime.UtcNow;
        _start = [];
        foreach (var (name, p) in _processes)
            if (ProcStat.Read(p.Pid) is { } s) _start[name] = s;
    }

    public Window Stop()
    {
        var uses = new List<CpuUse>();
        foreach (var (name, p) in _processes)
            if (_start.TryGetValue(name, out var a) && ProcStat.Read(p.Pid) is { } b) uses.Add(CpuUse.Between(name, a, b));
        var system = ProcStat.SystemCpu();
        double wall = (DateTime.UtcNow - _startAt).TotalSeconds;
        // Jiffies of all CPUs: busy share of the total, times the number of CPUs, is cores busy.
        double busyCores = (double)(system.Busy - _systemStart.Busy) / Math.Max(1, system.Total - _systemStart.Total) * Environment.ProcessorCount;
        return new Window(wall, uses, busyCores, Math.Max(0, busyCores - uses.Sum(u => u.Cores)));
    }

    /// <param name="SystemBusyCores">Cores the whole machine was busy on average.</param>
    /// <param name="OtherCores">Busy cores not accounted for by the processes sampled (other programs, kernel work such as softirqs on behalf of loopback traffic).</param>
    public sealed record Window(double WallSeconds, IReadOnlyList<CpuUse> Processes, double SystemBusyCores, double OtherCores)
    {
        public CpuUse? this[string name] => Processes.FirstOrDefault(p => p.Name == name);

        public double Cores(Func<string, bool> which) => Processes.Where(p => which(p.Name)).Sum(p => p.Cores);
    }
}

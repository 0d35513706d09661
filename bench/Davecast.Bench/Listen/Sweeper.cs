using System.Collections.Concurrent;
using System.Diagnostics;

namespace Davecast.Bench.Listen;

/// <summary>
/// Reads thousands of listeners from a few threads: every period, each thread drains each of its listeners' sockets
/// of everything the kernel holds (non-blocking reads into one 64 KB buffer), then sleeps until the next period. The
/// socket's receive buffer (256 KB, seconds of audio) holds what arrives meanwhile, so each listener takes the audio
/// at line rate and the server never sees it fall behind; the bench process costs a system call per listener per
/// period, not a wake-up per packet.
/// </summary>
public sealed class Sweeper : IDisposable
{
    private readonly ConcurrentQueue<Listener>[] _incoming;
    private readonly Thread[] _threads;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _stop = new();
    private long _sweeps;
    private long _lateSweeps;

    public Sweeper(int threads, TimeSpan period)
    {
        _period = period;
        _incoming = [.. Enumerable.Range(0, threads).Select(_ => new ConcurrentQueue<Listener>())];
        _threads = [.. Enumerable.Range(0, threads).Select(i => new Thread(() => Run(i)) { IsBackground = true, Name = $"sweep-{i}" })];
        foreach (var t in _threads) t.Start();
    }

    /// <summary>Sweeps done, and those that took longer than the period (the sweeper could not keep up).</summary>
    public long Sweeps => Interlocked.Read(ref _sweeps);

    public long LateSweeps => Interlocked.Read(ref _lateSweeps);

    private int _next;

    /// <summary>Takes over an open listener.</summary>
    public void Add(Listener listener) => _incoming[(int)((uint)Interlocked.Increment(ref _next) % _incoming.Length)].Enqueue(listener);

    private void Run(int index)
    {
        var mine = new List<Listener>();
        var buffer = new byte[Listener.ReadBufferSize];
        long periodTicks = (long)(_period.TotalSeconds * Stopwatch.Frequency);
        long next = Stopwatch.GetTimestamp();
        while (!_stop.IsCancellationRequested)
        {
            while (_incoming[index].TryDequeue(out var l)) mine.Add(l);
            for (int i = mine.Count - 1; i >= 0; i--)
            {
                if (mine[i].Sweep(buffer)) continue;
                mine[i] = mine[^1];
                mine.RemoveAt(mine.Count - 1);
            }
            Interlocked.Increment(ref _sweeps);
            next += periodTicks;
            long wait = next - Stopwatch.GetTimestamp();
            if (wait <= 0)
            {
                Interlocked.Increment(ref _lateSweeps);
                next = Stopwatch.GetTimestamp();
                continue;
            }
            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
        }
        foreach (var l in mine) l.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}

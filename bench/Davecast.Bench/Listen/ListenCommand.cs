using System.Net;
using Davecast.Bench.Cli;
using Davecast.Bench.Load;

namespace Davecast.Bench.Listen;

/// <summary>
/// <c>davecast-bench listen</c>: many listeners of one mount, as a process of its own. It connects them at
/// <c>--ramp</c> per second, prints <c>READY n</c>, then holds them until a <c>stop</c> line on its standard input
/// (or <c>--max-hold</c> seconds, or its input closing); <c>mark</c> starts the byte-rate count. Prints
/// <c>RESULT {json}</c> and exits.
/// </summary>
public static class ListenCommand
{
    public static async Task<int> RunAsync(Args args)
    {
        var server = IPEndPoint.Parse(args.String("--server", "127.0.0.1:8000"));
        string mount = args.String("--mount", "programme.mp3").TrimStart('/');
        int count = args.Int("--count", 100, 1, 100_000);
        int ramp = args.Int("--ramp", 1000, 1, 100_000);
        int check = args.Int("--check", 0, 0, 1000);
        var fixture = args.Optional("--fixture");
        string read = args.String("--read", "sweep");
        if (read is not ("sweep" or "async")) throw new ArgumentException("--read must be sweep or async");
        double periodMs = args.Double("--period-ms", 100, 0, 10_000);
        int threads = args.Int("--sweep-threads", 1, 1, 64);
        double maxHold = args.Double("--max-hold", 120, 1, 3600);
        args.Finish();
        if (check > 0 && fixture is null) throw new ArgumentException("--check needs --fixture");

        await using var pool = new ListenerPool(new PoolOptions
        {
            Server = server,
            Mount = mount,
            Count = count,
            RampPerSecond = ramp,
            Checked = check,
            Programme = fixture is null ? null : Programme.Load(fixture),
            Read = read,
            Period = TimeSpan.FromMilliseconds(periodMs),
            SweepThreads = threads,
        });
        await pool.RampAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine($"READY {pool.Listeners.Count(l => l.State == ListenerState.Streaming)}");
        pool.Mark();

        using var hold = new CancellationTokenSource(TimeSpan.FromSeconds(maxHold));
        var stop = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync(hold.Token) is { } line)
            {
                if (line.Trim() == "mark") pool.Mark();
                if (line.Trim() == "stop") return;
            }
        });
        try
        {
            await stop;
        }
        catch (OperationCanceledException)
        {
        }
        var report = pool.Report(pool.BytesPerSecondSinceMark());
        Console.WriteLine(Json.Result(report));
        Console.Out.Flush();
        return 0;
    }
}

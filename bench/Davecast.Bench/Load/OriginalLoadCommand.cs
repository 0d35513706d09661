using System.Net;
using Davecast.Bench.Cli;

namespace Davecast.Bench.Load;

/// <summary>
/// <c>davecast-bench original-load</c>: <see cref="OriginalProtocolLoad"/> as a process of its own, so that its CPU
/// is measured apart. It prints <c>STARTED</c>, then a <c>RESULT {json}</c> line when it stops: after
/// <c>--duration</c>, on <c>stop</c>, or when its standard input closes.
/// </summary>
public static class OriginalLoadCommand
{
    public static async Task<int> RunAsync(Args args)
    {
        var options = new OriginalLoadOptions
        {
            Relays = [.. args.All("--relay").Select(IPEndPoint.Parse)],
            Mounts = MountList.Read(args),
            EncodersPerMount = args.Int("--encoders", 2, 1, 8),
            Duration = TimeSpan.FromSeconds(args.Double("--duration", 60, 1, 3600)),
            Threads = args.Int("--threads", 2, 1, 64),
            Spread = TimeSpan.FromSeconds(args.Double("--spread", 1, 0, 60)),
            AnnounceEvery = args.Int("--announce-every", 40, 1, 100_000),
        };
        args.Finish();
        // The replica number is one byte.
        if (options.Relays.Count is 0 or > 256) throw new ArgumentException("give from 1 to 256 --relay host:port (the relays' UDP ports)");

        using var load = new OriginalProtocolLoad(options);
        var run = Task.Factory.StartNew(load.Run, TaskCreationOptions.LongRunning);
        Console.WriteLine("STARTED");
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } line)
                if (line.Trim() == "stop") break;
            load.Stop();
        });
        var report = await run;
        Console.WriteLine(Json.Result(report));
        Console.Out.Flush();
        return 0;
    }
}

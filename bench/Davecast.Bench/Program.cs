using Davecast.Bench.Cli;
using Davecast.Bench.Harness;
using Davecast.Bench.Listen;
using Davecast.Bench.Load;

const string Usage = """
    davecast-bench: benchmarks of Davecast.Orleans on this machine (see bench/README.md).

      davecast-bench original [--mounts 250] [--seconds 60] [--check 10]
      davecast-bench scale    [--counts 250,500,1000,1500] [--seconds 25] [--check 10]
      davecast-bench fanout   [--sizes 1000,5000,10000] [--seconds 20] [--ramp 1000] [--check 5] [--read sweep|async] [--period-ms 100]
      davecast-bench latency  [--mounts 10] [--seconds 30] [--probes 200]
      davecast-bench hls-fanout [--sizes 1000] [--seconds 20]
      davecast-bench seed     --seed-dir DIR [--counts 0,125,250,500] [--seconds 40] [--default-shape-at 250] [--spread 1] (--warmup 15)
        common: [--warmup 20] [--frames-per-packet 1] [--relay-args="OPTIONS"] [--edge-args "OPTIONS"] [--results DIR] [--configuration Release] [--clustering redis|localhost] [--no-quiet-wait] [--root CHECKOUT]

      davecast-bench load     --relay HOST:PORT ... [--mounts N] [--codecs aac,mp3] [--prefix m] [--duration S]
                              [--key-id ID --key SECRET] [--threads 2] [--transport both|udp|tcp] [--encoders 2] [--frames-per-packet 1]
                              [--edge HOST:PORT --check N] [--listeners-per-mount 1] [--spread S]
      davecast-bench original-load --relay HOST:PORT ... [--mounts N] [--codecs aac,mp3] [--prefix m] [--duration S]
                              [--threads 2] [--encoders 2] [--spread S] [--announce-every 40]
      davecast-bench listen   --server HOST:PORT --mount M [--count N] [--ramp PER_S] [--check K --fixture FILE]
                              [--read sweep|async] [--period-ms 100] [--sweep-threads 1] [--max-hold S]
      davecast-bench hls-listen --url http://HOST:PORT/MOUNT.m3u8 [--count N] [--ramp PER_S] [--max-hold S]
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 1 : 0;
}

try
{
    var options = new Args(args.Skip(1));
    switch (args[0])
    {
        case "load":
            return await LoadCommand.RunAsync(options);
        case "listen":
            return await ListenCommand.RunAsync(options);
        case "hls-listen":
            return await HlsListenCommand.RunAsync(options);
        case "original-load":
            return await OriginalLoadCommand.RunAsync(options);
    }

    // --root: run the programs (relays, edge) and fixtures of another checkout, built alike (e.g. an earlier commit).
    var root = Path.GetFullPath(options.String("--root", BenchContext.FindRoot(AppContext.BaseDirectory)));
    var context = new BenchContext(
        root,
        options.String("--configuration", "Release"),
        Path.GetFullPath(options.String("--results", Path.Combine(BenchContext.FindRoot(AppContext.BaseDirectory), "bench", "results"))),
        Console.Out)
    {
        Clustering = options.String("--clustering", "redis"),
    };
    bool quiet = !options.Flag("--no-quiet-wait");
    // Extra options for the relays and the edge (e.g. --relay-args="--batch-ms 200"), to measure other settings.
    string[] relayArgs = options.String("--relay-args", "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
    string[] edgeArgs = options.String("--edge-args", "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
    // The side-by-side warms up for 15 s, as the measurement in its issue (14) did.
    double warmup = options.Double("--warmup", args[0] == "seed" ? 15 : 20, 0, 600);
    // Frames per packet from the load generator (the rows with a multi-mount load): the publisher's --frames-per-packet.
    int framesPerPacket = options.Int("--frames-per-packet", 1, 1, 32);
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    switch (args[0])
    {
        case "original":
        {
            int mounts = options.Int("--mounts", 250, 1, 20_000);
            double seconds = options.Double("--seconds", 60, 5, 3600);
            int check = options.Int("--check", 10, 0, 1000);
            options.Finish();
            var r = await Rows.OriginalAsync(context, new LoadRunOptions { Mounts = mounts, WindowSeconds = seconds, Checked = check, WaitForQuiet = quiet, RelayArgs = relayArgs, EdgeArgs = edgeArgs, WarmupSeconds = warmup, FramesPerPacket = framesPerPacket }, cancel.Token);
            return r.Clean ? 0 : 2;
        }
        case "scale":
        {
            var counts = options.Ints("--counts", [250, 500, 1000, 1500], 1, 20_000);
            double seconds = options.Double("--seconds", 25, 5, 3600);
            int check = options.Int("--check", 10, 0, 1000);
            options.Finish();
            await Rows.ScaleAsync(context, counts, new LoadRunOptions { Mounts = 0, WindowSeconds = seconds, Checked = check, WaitForQuiet = quiet, RelayArgs = relayArgs, EdgeArgs = edgeArgs, WarmupSeconds = warmup, FramesPerPacket = framesPerPacket }, cancel.Token);
            return 0;
        }
        case "seed":
        {
            string program = OriginalDavecast.ProgramIn(options.Optional("--seed-dir"));
            var counts = options.Ints("--counts", [0, 125, 250, 500], 0, 20_000);
            double seconds = options.Double("--seconds", 40, 5, 3600);
            int defaultShapeAt = options.Int("--default-shape-at", 250, 0, 20_000);
            double spread = options.Double("--spread", 1, 0, 60);
            options.Finish();
            await Rows.SeedAsync(context, program, counts, defaultShapeAt, new LoadRunOptions { Mounts = 0, WindowSeconds = seconds, Checked = 0, WaitForQuiet = quiet, RelayArgs = relayArgs, EdgeArgs = edgeArgs, WarmupSeconds = warmup, FramesPerPacket = framesPerPacket, SpreadSeconds = spread }, cancel.Token);
            return 0;
        }
        case "fanout":
        {
            var fan = new FanoutOptions
            {
                Sizes = options.Ints("--sizes", [1000, 5000, 10_000], 1, 100_000),
                WindowSeconds = options.Double("--seconds", 20, 5, 3600),
                RampPerSecond = options.Int("--ramp", 1000, 1, 100_000),
                Checked = options.Int("--check", 5, 0, 1000),
                Read = options.String("--read", "sweep"),
                PeriodMs = options.Double("--period-ms", 100, 0, 10_000),
                WaitForQuiet = quiet,
            };
            options.Finish();
            await Rows.FanoutAsync(context, fan, cancel.Token);
            return 0;
        }
        case "hls-fanout":
        {
            var sizes = options.Ints("--sizes", [1000], 1, 100_000);
            double seconds = options.Double("--seconds", 20, 5, 3600);
            options.Finish();
            await Rows.HlsFanoutAsync(context, sizes, seconds, quiet, cancel.Token);
            return 0;
        }
        case "latency":
        {
            int mounts = options.Int("--mounts", 10, 1, 1000);
            double seconds = options.Double("--seconds", 30, 5, 3600);
            int probes = options.Int("--probes", 200, 0, 10_000);
            options.Finish();
            var r = await Rows.LatencyAsync(context, new LoadRunOptions { Mounts = mounts, WindowSeconds = seconds, Checked = mounts, TimeToFirstAudioProbes = probes, WaitForQuiet = quiet, RelayArgs = relayArgs, EdgeArgs = edgeArgs, WarmupSeconds = warmup, FramesPerPacket = framesPerPacket }, cancel.Token);
            return r.Clean ? 0 : 2;
        }
        default:
            Console.Error.WriteLine($"unknown command '{args[0]}'\n{Usage}");
            return 1;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"davecast-bench: {e.Message}");
    return 1;
}
